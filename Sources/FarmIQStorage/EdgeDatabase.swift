import FarmIQCore
import FarmIQSQLite
import Logging
import ServiceLifecycle

/// The edge database: SQLite (embedded) or PostgreSQL (cluster), same schema and same store behaviour.
///
/// Build with ``open(_:logger:)``, start ``run()`` in a long-running task (it is a ServiceLifecycle `Service`),
/// then ``migrate()`` and use the stores.
///
/// - PostgreSQL: ``run()`` runs the connection pool; it returns on cancellation or on ServiceLifecycle's
///   graceful shutdown (PostgresClient observes it).
/// - SQLite: the stores work as soon as ``open(_:logger:)`` returns; ``run()`` waits for cancellation (or
///   ``close()``) and then closes the connections. In a `ServiceGroup`, wrap it in `cancelWhenGracefulShutdown`
///   or call ``close()`` after the services using it have stopped.
public final class EdgeDatabase: Service {
    /// The engine behind the stores (package access: the benchmarks run engine-specific baselines).
    package enum Backend: Sendable {
        /// The embedded SQLite file: one writer thread, a few reader connections.
        case sqlite(SQLiteBackend)
        /// A PostgreSQL server, through a pooled client.
        case postgres(PostgresBackend)
    }

    /// The engine and its connections (raw SQL of tests and maintenance, the benchmarks' baselines).
    package let backend: Backend
    private let closeSignal = OneShotSignal()
    /// `telemetry_raw`, `telemetry_agg` and the outbox rows of telemetry.
    public let telemetry: any TelemetryStore
    /// `device_events`, `ingest_rejects` and the shared event-id register.
    public let ingress: any IngressStore
    /// `sync_outbox` and its consumer state: cursors, leases, dead letters, `sync_state`.
    public let outbox: any OutboxStore
    /// `weight_sessions` and `weight_readings` (`contracts.md` §3a).
    public let sessions: any WeighSessionStore
    /// The device registry (`devices`): token digests and broker password hashes.
    public let devices: any DeviceRegistry
    /// `media_objects`, which also queues each new image's inference job.
    public let media: any MediaObjectStore
    /// The `inference_jobs` queue and `inference_results`.
    public let inference: any InferenceStore
    /// The per-station weight models (`weight_models`) and their `calibration_pairs`.
    public let models: any WeightModelStore

    private init(backend: Backend) {
        self.backend = backend
        switch backend {
        case .sqlite(let sqlite):
            telemetry = SQLiteTelemetryStore(backend: sqlite)
            ingress = SQLiteIngressStore(backend: sqlite)
            outbox = SQLiteOutboxStore(backend: sqlite)
            sessions = SQLiteWeighSessionStore(backend: sqlite)
            devices = SQLiteDeviceRegistry(backend: sqlite)
            media = SQLiteMediaObjectStore(backend: sqlite)
            inference = SQLiteInferenceStore(backend: sqlite)
            models = SQLiteWeightModelStore(backend: sqlite)
        case .postgres(let postgres):
            telemetry = PostgresTelemetryStore(backend: postgres)
            ingress = PostgresIngressStore(backend: postgres)
            outbox = PostgresOutboxStore(backend: postgres)
            sessions = PostgresWeighSessionStore(backend: postgres)
            devices = PostgresDeviceRegistry(backend: postgres)
            media = PostgresMediaObjectStore(backend: postgres)
            inference = PostgresInferenceStore(backend: postgres)
            models = PostgresWeightModelStore(backend: postgres)
        }
    }

    /// SQLite: creates the parent directory and opens the file (WAL). PostgreSQL: builds the pooled client,
    /// which connects only once ``run()`` runs.
    public static func open(_ url: DatabaseURL, logger: Logger) throws -> EdgeDatabase {
        switch url {
        case .sqlite(let path):
            return EdgeDatabase(backend: .sqlite(try SQLiteBackend(path: path, logger: logger)))
        case .postgres(let location):
            return EdgeDatabase(backend: .postgres(PostgresBackend(location, logger: logger)))
        }
    }

    /// The engine the database was opened on (from the URL's scheme).
    public var engine: DatabaseEngine {
        switch backend {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// ServiceLifecycle's entry point. PostgreSQL: runs the pool until cancelled, then waits at most 5 s for it to
    /// stop. SQLite: waits for cancellation or ``close()``, then closes the connections. Neither path throws.
    public func run() async throws {
        switch backend {
        case .postgres(let postgres):
            await postgres.run()
        case .sqlite(let sqlite):
            await closeSignal.wait()
            await sqlite.close()
        }
    }

    /// SQLite: makes ``run()`` return and close the connections. PostgreSQL: no effect (cancel ``run()``).
    public func close() {
        closeSignal.fire()
    }

    /// Applies the missing versioned migrations (table `schema_migrations`). Safe to run from several
    /// processes at once: PostgreSQL serializes migrators with `pg_advisory_xact_lock`, SQLite with its write lock.
    public func migrate() async throws {
        switch backend {
        case .sqlite(let sqlite): try await sqlite.migrate()
        case .postgres(let postgres): try await postgres.migrate()
        }
    }

    /// A cheap round trip; throws ``FarmIQCore/EdgeError`` `.databaseUnavailable` when the database cannot be reached.
    public func ping() async throws {
        switch backend {
        case .sqlite(let sqlite): try await sqlite.ping()
        case .postgres(let postgres): try await postgres.ping()
        }
    }
}
