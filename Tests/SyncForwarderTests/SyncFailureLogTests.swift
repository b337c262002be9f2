import AsyncHTTPClient
import FarmIQCore
import FarmIQTestSupport
import Foundation
import Logging
import Testing
@testable import FarmIQStorage
@testable import SyncForwarder

/// A cloud failure line names its cause (issue 12, item 6).
@Suite("Sync failure logs")
struct SyncFailureLogTests {
    @Test func aCloudThatCannotBeReachedIsLoggedWithTheCause() async throws {
        try await TestDatabase.with(.sqlite) { db in
            _ = try await Fixtures.ingest(db, count: 3)
            // Nothing listens on port 9 of loopback (discard service, not run here): connection refused.
            let configuration = SyncForwarderIntegrationTests.configuration("http://127.0.0.1:9")
            let logs = CapturedLogs()
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            let forwarder = SyncForwarder(configuration: configuration, store: db.outbox, httpClient: client, registry: .init(), logger: logs.logger)
            let task = Task { try await forwarder.run() }
            let found = try await eventually(timeout: .seconds(30)) {
                logs.all.contains { $0.message == "sync batch failed, retrying" && ($0.metadata["error"] ?? "").lowercased().contains("refused") }
            }
            task.cancel()
            _ = await task.result
            try await client.shutdown()
            #expect(found, "lines: \(logs.all.map { "\($0.message) \($0.metadata)" }.prefix(5))")
        }
    }
}
