import FarmIQTestSupport
import FarmIQCore
import Testing
@testable import FarmIQStorage

/// The device registry on both engines (`contracts.md` §3, revision 2).
@Suite("Device registry", .tags(.postgres), TestServices.servicesRequired)
struct DeviceRegistryTests {
    @Test("add, look up by token digest, list, disable/enable, rotate; a second add is a conflict", arguments: DatabaseEngine.allCases)
    func lifecycle(engine: DatabaseEngine) async throws {
        try await TestDatabase.with(engine) { db in
            let scale = Fixtures.address(device: "scale-1")
            let camera = Fixtures.address(tenant: "tenant-b", device: "cam-1")
            let token = DeviceToken.generate()
            try await db.devices.add(scale, token: try IssuedToken(token: token), at: Fixtures.time(0))
            try await db.devices.add(camera, token: try IssuedToken(token: DeviceToken.generate()), at: Fixtures.time(1))
            do {
                try await db.devices.add(scale, token: try IssuedToken(token: DeviceToken.generate()), at: Fixtures.time(2))
                Issue.record("a second add must fail")
            } catch let error as EdgeError {
                #expect(error.code == .conflict)
            }
            let found = try #require(try await db.devices.device(tokenSHA256: DeviceToken.digest(token)))
            #expect(found.address == scale && found.enabled && found.createdAt == Fixtures.time(0))
            #expect(ConstantTime.equal(found.tokenSHA256, DeviceToken.digest(token)))
            #expect(try await db.devices.device(tokenSHA256: DeviceToken.digest(DeviceToken.generate())) == nil)
            #expect(try await db.devices.devices(tenantID: nil).map(\.address) == [scale, camera])
            #expect(try await db.devices.devices(tenantID: "tenant-b").map(\.address) == [camera])

            #expect(try await db.devices.setEnabled(scale, false, at: Fixtures.time(3)))
            let disabled = try #require(try await db.devices.device(tokenSHA256: DeviceToken.digest(token)))
            #expect(!disabled.enabled && disabled.disabledAt == Fixtures.time(3))
            #expect(try await db.devices.setEnabled(scale, true, at: Fixtures.time(4)))
            #expect(try await db.devices.device(tokenSHA256: DeviceToken.digest(token))?.enabled == true)

            let rotated = DeviceToken.generate()
            #expect(try await db.devices.rotate(scale, token: try IssuedToken(token: rotated), at: Fixtures.time(5)))
            #expect(try await db.devices.device(tokenSHA256: DeviceToken.digest(token)) == nil)  // the old token is gone
            #expect(try await db.devices.device(tokenSHA256: DeviceToken.digest(rotated))?.rotatedAt == Fixtures.time(5))
            let unknown = Fixtures.address(device: "nobody")
            #expect(try await db.devices.rotate(unknown, token: try IssuedToken(token: rotated), at: Fixtures.time(6)) == false)
            #expect(try await db.devices.setEnabled(unknown, false, at: Fixtures.time(6)) == false)
            // The broker's password lines: enabled devices only, the current token's hash.
            #expect(try await db.devices.setEnabled(camera, false, at: Fixtures.time(7)))
            let entries = try await db.devices.brokerPasswordEntries()
            #expect(entries.map(\.user) == ["tenant-a/farm-1/barn-1/scale-1"])
            #expect(BrokerPasswordHash.verify(password: rotated, entry: entries[0].hash))
            #expect(!BrokerPasswordHash.verify(password: token, entry: entries[0].hash))
        }
    }
}
