import FarmIQCore
import Testing

@Suite struct MediaPathTests {
    let address = DeviceAddress(tenantID: "t-1", farmID: "farm_2", barnID: "barn-3", deviceID: "cam-01")!
    let captured = Timestamp(rfc3339: "2026-11-30T08:15:00.250+01:00")!

    @Test func followsTheContractLayout() {
        let session = "0190f3a2-0000-7000-8000-00000000beef"
        #expect(MediaPath(address: address, sessionID: session, capturedAt: captured).relative
            == "t-1/farm_2/barn-3/\(session)/20261130T071500250Z.jpg")
        #expect(MediaPath(address: address, sessionID: nil, capturedAt: captured).relative == "t-1/farm_2/barn-3/_none/20261130T071500250Z.jpg")
        let media = "0190f3a2-1111-7000-8000-000000000001"
        #expect(MediaPath(address: address, sessionID: nil, capturedAt: captured, collidingMediaID: media).relative
            == "t-1/farm_2/barn-3/_none/20261130T071500250Z-\(media).jpg")
        #expect(MediaPath(address: address, sessionID: nil, capturedAt: captured).absolute(under: "/media/") == "/media/t-1/farm_2/barn-3/_none/20261130T071500250Z.jpg")
    }

    @Test func hostileSegmentsCannotBeBuilt() {
        // A hostile session id is not a UUID: it falls back to `_none` instead of reaching the path.
        for hostile in ["../../x", "..", "/etc", "a/b", "0190f3a2-0000-7000-8000-00000000beef/..", "\0"] {
            let path = MediaPath(address: address, sessionID: hostile, capturedAt: captured)
            #expect(path.relative == "t-1/farm_2/barn-3/_none/20261130T071500250Z.jpg")
        }
        // Device ids come from DeviceAddress, which refuses anything but [A-Za-z0-9_-].
        #expect(DeviceAddress(tenantID: "..", farmID: "f", barnID: "b", deviceID: "d") == nil)
        #expect(DeviceAddress(tenantID: "t", farmID: "../f", barnID: "b", deviceID: "d") == nil)
    }

    @Test func storedPathsAreCheckedWhenReadBack() {
        #expect(MediaPath(stored: "t/f/b/_none/20261130T071500250Z.jpg") != nil)
        for hostile in ["../f/b/_none/x.jpg", "/t/f/b/_none/x.jpg", "t/f/b/../x.jpg", "t/f/b/_none/x.png", "t/f/b/x.jpg",
                        "t/f/b/_none/a/x.jpg", "t//b/_none/x.jpg", "t/f/b/_none/x y.jpg", "t/f/b/_none/.."] {
            #expect(MediaPath(stored: hostile) == nil, "\(hostile)")
        }
    }
}
