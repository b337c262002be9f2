import Crypto
import AsyncHTTPClient
@testable import CloudSim
import FarmIQCore
import Foundation
import NIOHTTP1
import Testing

@Suite("cloud-sim media")
struct CloudSimMediaTests {
    @Test func storesMediaCheckingTheHash() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            let id = Fixtures.uuid()
            let bytes: [UInt8] = Array("fake jpeg bytes".utf8) + [0xFF, 0xD8, 0xFF]
            let hash = SHA256.hexDigest(bytes)
            let path = "/api/v1/edge/media/tenant-a/\(id)"

            let created = try await sim.send(.PUT, path, body: bytes, headers: [("Content-SHA256", hash)])
            #expect(created.status == 201)
            let file = sim.dataDirectory + "/media/tenant-a/\(id)"
            #expect(FileManager.default.contents(atPath: file).map { Array($0) } == bytes)

            let again = try await sim.send(.PUT, path, body: bytes, headers: [("Content-SHA256", hash.uppercased())])
            #expect(again.status == 200)

            let wrong = try await sim.send(.PUT, "/api/v1/edge/media/tenant-a/\(Fixtures.uuid())", body: bytes,
                                           headers: [("Content-SHA256", SHA256.hexDigest([1, 2, 3]))])
            #expect(wrong.status == 400)
            let missing = try await sim.send(.PUT, "/api/v1/edge/media/tenant-a/\(Fixtures.uuid())", body: bytes)
            #expect(missing.status == 400)

            let other: [UInt8] = [9, 9, 9]
            let conflict = try await sim.send(.PUT, path, body: other, headers: [("Content-SHA256", SHA256.hexDigest(other))])
            #expect(conflict.status == 409)
            #expect(FileManager.default.contents(atPath: file).map { Array($0) } == bytes)

            let stats = try await sim.controller.stats()
            #expect(stats.mediaStored == 1)
            #expect(stats.mediaDuplicate == 1)
            #expect(stats.mediaHashMismatch == 1)
        }
    }

    @Test func mediaSurvivesARestart() async throws {
        let directory = CloudSimHarness.temporaryDirectory()
        let id = Fixtures.uuid()
        let bytes: [UInt8] = [1, 2, 3, 4]
        let headers = [("Content-SHA256", SHA256.hexDigest(bytes))]
        try await CloudSimHarness.run(dataDirectory: directory) { (sim: CloudSimHarness) async throws in
            let reply = try await sim.send(.PUT, "/api/v1/edge/media/tenant-a/\(id)", body: bytes, headers: headers)
            #expect(reply.status == 201)
        }
        try await CloudSimHarness.run(dataDirectory: directory) { (sim: CloudSimHarness) async throws in
            let reply = try await sim.send(.PUT, "/api/v1/edge/media/tenant-a/\(id)", body: bytes, headers: headers)
            #expect(reply.status == 200)
        }
    }

    @Test func neverWritesOutsideItsRoot() async throws {
        try await CloudSimHarness.run { (sim: CloudSimHarness) async throws in
            let bytes: [UInt8] = [7, 7, 7]
            let headers = [("Content-SHA256", SHA256.hexDigest(bytes))]
            let id = Fixtures.uuid()
            let attempts = [
                "/api/v1/edge/media/../\(id)",
                "/api/v1/edge/media/tenant-a/..",
                "/api/v1/edge/media/../../escape",
                "/api/v1/edge/media/..%2F..%2Fescape/\(id)",
                "/api/v1/edge/media/tenant-a/..%2F..%2F..%2Fescape",
                "/api/v1/edge/media/tenant-a%2F..%2F..%2F/\(id)",
                "/api/v1/edge/media/%2Ftmp%2Fescape/\(id)",
                "/api/v1/edge/media//etc/passwd",
                "/api/v1/edge/media/%2Fetc/passwd",
                "/api/v1/edge/media/tenant-a/\(id)%2F..",
                "/api/v1/edge/media/tenant-a/\(id.uppercased())",
                "/api/v1/edge/media/tenant-a/not-a-uuid",
                "/api/v1/edge/media/\(String(repeating: "t", count: 65))/\(id)",
            ]
            for path in attempts {
                let reply = try await sim.send(.PUT, path, body: bytes, headers: headers)
                #expect([400, 404].contains(reply.status), "\(path) → \(reply.status)")
            }
            let root = sim.dataDirectory + "/media"
            let stored = try FileManager.default.subpathsOfDirectory(atPath: root)
            #expect(stored.isEmpty, "\(stored)")
            // A doubled slash is collapsed by the router: the tenant is then a plain id, inside the root.
            let collapsed = try await sim.send(.PUT, "/api/v1/edge/media//tmp/\(id)", body: bytes, headers: headers)
            if collapsed.status == 201 {
                #expect(FileManager.default.fileExists(atPath: root + "/tmp/\(id)"))
            }
            let top = try FileManager.default.contentsOfDirectory(atPath: sim.dataDirectory).filter { !$0.hasPrefix("cloud-sim.sqlite") }
            #expect(top == ["media"])
            #expect(try await sim.controller.stats().mediaStored <= 1)
        }
    }

    @Test func pathsAreValidatedBeforeTheyReachTheFileSystem() {
        let files = MediaFiles(root: "/data/media")
        let id = "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11"
        #expect(files.path(tenantID: "tenant-a", mediaID: id) == "/data/media/tenant-a/\(id)")
        #expect(files.path(tenantID: "..", mediaID: id) == nil)
        #expect(files.path(tenantID: "a/b", mediaID: id) == nil)
        #expect(files.path(tenantID: "/etc", mediaID: id) == nil)
        #expect(files.path(tenantID: "tenant-a", mediaID: "../../etc/passwd") == nil)
        #expect(files.path(tenantID: "", mediaID: id) == nil)
    }
}
