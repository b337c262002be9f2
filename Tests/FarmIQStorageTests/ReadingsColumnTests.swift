import FarmIQCore
import Testing
@testable import FarmIQStorage

@Suite("ReadingsColumn")
struct ReadingsColumnTests {
    @Test("round trip, including escapes, null units, extreme and negative values")
    func roundTrip() throws {
        let readings = [
            Reading(metric: "temperature", value: 24.3, unit: "celsius"),
            Reading(metric: "odd\"metric\\", value: -1e-300, unit: nil),
            Reading(metric: "big", value: 1.7976931348623157e308, unit: "u\n"),
            Reading(metric: "int", value: 812, unit: ""),
        ]
        let text = ReadingsColumn.encode(readings)
        #expect(try ReadingsColumn.decode(text) == readings)
        #expect(ReadingsColumn.encode([Reading(metric: "co2", value: 812, unit: nil)]) == #"[["co2",812,null]]"#)
    }

    @Test("a damaged column is a typed error, never a crash", arguments: [
        "", "{}", "[1]", #"[["m"]]"#, #"[["m","1",null]]"#, #"[["m",1,2]]"#, #"[[1,1,null]]"#, "[[", "null",
    ])
    func damaged(_ text: String) {
        #expect(throws: EdgeError.self) { try ReadingsColumn.decode(text) }
    }
}
