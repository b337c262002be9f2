extension Migrations {
    /// The device registry (`contracts.md` §3, revision 2): one row per `{tenant}/{farm}/{barn}/{device}` with the
    /// SHA-256 of its bearer token (never the token), whether it is enabled, and when it was added, rotated and
    /// disabled (ms). The token digest is unique, so a token names at most one device. `broker_password_hash` is the
    /// same token as Mosquitto's password-file entry (PBKDF2-SHA512, `$7$…`), so the broker's password file can be
    /// written again at any time without knowing any token.
    static let devices = Migration(
        version: 6,
        name: "devices",
        sqlite: [
            """
            CREATE TABLE devices (
                tenant_id TEXT NOT NULL, farm_id TEXT NOT NULL, barn_id TEXT NOT NULL, device_id TEXT NOT NULL,
                token_sha256 BLOB NOT NULL, broker_password_hash TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1,
                created_at INTEGER NOT NULL, rotated_at INTEGER, disabled_at INTEGER,
                PRIMARY KEY (tenant_id, farm_id, barn_id, device_id))
            """,
            "CREATE UNIQUE INDEX devices_token ON devices (token_sha256)",
        ],
        postgres: [
            """
            CREATE TABLE devices (
                tenant_id text NOT NULL, farm_id text NOT NULL, barn_id text NOT NULL, device_id text NOT NULL,
                token_sha256 bytea NOT NULL, broker_password_hash text NOT NULL, enabled boolean NOT NULL DEFAULT true,
                created_at bigint NOT NULL, rotated_at bigint, disabled_at bigint,
                PRIMARY KEY (tenant_id, farm_id, barn_id, device_id))
            """,
            "CREATE UNIQUE INDEX devices_token ON devices (token_sha256)",
        ])
}
