import Testing
@testable import FarmIQCore

@Suite("Identifier names (tenant, farm, barn, device, station)")
struct IdentifierNameTests {
    @Test("valid names", arguments: [
        "a", "A", "0", "_", "-", "barn-7_A", "tenant-1", String(repeating: "x", count: 64), String(repeating: "Z9", count: 32),
    ])
    func accepted(_ name: String) {
        #expect(Identifier.isValidName(name))
    }

    @Test("length bounds: 0 and 65 characters are rejected")
    func lengthBounds() {
        #expect(!Identifier.isValidName(""))
        #expect(Identifier.isValidName(String(repeating: "a", count: 64)))
        #expect(!Identifier.isValidName(String(repeating: "a", count: 65)))
    }

    @Test("path, wildcard, whitespace and lookalike characters are rejected", arguments: [
        "a/b", "/", "..", ".", "../etc", "a\\b", "\\", "a\0b", "\0", " a", "a ", "a b", "a\tb", "a\nb",
        "+", "#", "a+b", "a#", "tenant/+", "a.b", "a:b", "a@b", "%2e%2e", "a*b", "a?b", "a'b", "a\"b",
        "é", "barné", "\u{0430}bc", // Cyrillic a
        "ｂarn", // full-width b
        "a\u{200B}b", // zero-width space
        "a\u{2215}b", // division slash
        "\u{FF0F}", // full-width solidus
    ])
    func rejected(_ name: String) {
        #expect(!Identifier.isValidName(name))
    }

    @Test("names are checked on UTF-8 bytes: a 64-byte limit, not 64 characters")
    func byteLength() {
        // 32 two-byte characters would be 32 characters but 64 bytes, and are invalid anyway.
        #expect(!Identifier.isValidName(String(repeating: "é", count: 10)))
        #expect(Identifier.isValidName("tenant-1".prefix(6)))
    }

    @Test("case is significant but both cases are allowed")
    func caseSensitive() {
        #expect(Identifier.isValidName("Barn"))
        #expect(Identifier.isValidName("barn"))
        #expect(DeviceAddress(tenantID: "T", farmID: "f", barnID: "b", deviceID: "d") != DeviceAddress(tenantID: "t", farmID: "f", barnID: "b", deviceID: "d"))
    }
}

@Suite("UUIDs")
struct IdentifierUUIDTests {
    @Test("canonical lower-case UUIDs are accepted", arguments: [
        "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11", // v7
        "8f14e45f-ceea-467a-9a8e-1b2c3d4e5f60", // v4
        "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff",
    ])
    func accepted(_ uuid: String) {
        #expect(Identifier.isValidUUID(uuid))
    }

    @Test("non-canonical forms are rejected", arguments: [
        "0193A3C1-7B2E-7C3A-9F4D-2B8E5A1C0D11", // upper-case
        "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0D11", // one upper-case digit
        "{0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11}", // braces
        "0193a3c17b2e7c3a9f4d2b8e5a1c0d11", // no dashes
        "urn:uuid:0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11",
        "0193a3c1-7b2e-7c3a-9f4d2b8e5a1c0d11-", // dash misplaced
        "0193a3c17-b2e-7c3a-9f4d-2b8e5a1c0d11", // dash misplaced
        "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d1", // 35 chars
        "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d111", // 37 chars
        "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d1g", // non-hex
        "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d1\n",
        " 193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d11",
        "0193a3c1-7b2e-7c3a-9f4d-2b8e5a1c0d1\u{0430}",
        "../../../../../../../../etc/passwd/",
        "",
    ])
    func rejected(_ uuid: String) {
        #expect(!Identifier.isValidUUID(uuid))
    }
}

@Suite("Metric names, event types, trace ids")
struct IdentifierOtherTests {
    @Test("metric names matching ^[a-z][a-z0-9_.]{0,63}$", arguments: [
        "a", "temperature", "t2", "air.temp_c", "nh3_ppm", "a" + String(repeating: "0", count: 63),
    ])
    func metricAccepted(_ name: String) {
        #expect(Identifier.isValidMetricName(name))
    }

    @Test("metric names outside the pattern", arguments: [
        "", "Temp", "tempC", "1temp", "_t", ".t", "temp-c", "temp c", "température", "temp/c", "temp\0",
        "a" + String(repeating: "0", count: 64),
    ])
    func metricRejected(_ name: String) {
        #expect(!Identifier.isValidMetricName(name))
    }

    @Test("event types: dot-separated lower-case words", arguments: [
        "a.b", "device.status", "weighvision.session.started", "weighvision.weight.reading", "a1.b_2", "telemetry.reading",
    ])
    func eventTypeAccepted(_ type: String) {
        #expect(Identifier.isValidEventType(type))
    }

    @Test("malformed event types", arguments: [
        "", "a", "ab", "abc", ".a", "a.", "a..b", ".", "A.b", "a.B", "a.1b", "a._b", "1a.b", "a-b.c", "a.b c", "a.b\n", "a/b.c",
        "a.b" + String(repeating: "c", count: 62),
    ])
    func eventTypeRejected(_ type: String) {
        #expect(!Identifier.isValidEventType(type))
    }

    @Test("event type length limit is 64")
    func eventTypeLength() {
        #expect(Identifier.isValidEventType("a." + String(repeating: "b", count: 62)))
        #expect(!Identifier.isValidEventType("a." + String(repeating: "b", count: 63)))
    }

    @Test("W3C trace ids")
    func traceIDs() {
        #expect(Identifier.isValidTraceID("4bf92f3577b34da6a3ce929d0e0e4736"))
        #expect(Identifier.isValidTraceID("00000000000000000000000000000001"))
        #expect(!Identifier.isValidTraceID("00000000000000000000000000000000"))
        #expect(!Identifier.isValidTraceID("4BF92F3577B34DA6A3CE929D0E0E4736"))
        #expect(!Identifier.isValidTraceID("4bf92f3577b34da6a3ce929d0e0e473"))
        #expect(!Identifier.isValidTraceID("4bf92f3577b34da6a3ce929d0e0e47361"))
        #expect(!Identifier.isValidTraceID("4bf92f3577b34da6a3ce929d0e0e473g"))
        #expect(!Identifier.isValidTraceID("4bf92f35-77b3-4da6-a3ce-929d0e0e47"))
        #expect(!Identifier.isValidTraceID(""))
    }
}

@Suite("DeviceAddress")
struct DeviceAddressTests {
    @Test("valid address builds its topic prefix")
    func prefix() throws {
        let address = try #require(DeviceAddress(tenantID: "t1", farmID: "f1", barnID: "b1", deviceID: "d1"))
        #expect(address.topicPrefix == "farmiq/v1/t1/f1/b1/d1")
    }

    @Test("any invalid id makes the address nil")
    func invalid() {
        #expect(DeviceAddress(tenantID: "t/1", farmID: "f", barnID: "b", deviceID: "d") == nil)
        #expect(DeviceAddress(tenantID: "t", farmID: "..", barnID: "b", deviceID: "d") == nil)
        #expect(DeviceAddress(tenantID: "t", farmID: "f", barnID: "+", deviceID: "d") == nil)
        #expect(DeviceAddress(tenantID: "t", farmID: "f", barnID: "b", deviceID: "") == nil)
        #expect(DeviceAddress(tenantID: "t", farmID: "f", barnID: "b", deviceID: String(repeating: "d", count: 65)) == nil)
    }
}
