import FarmIQCore

/// The `readings` column of `telemetry_raw`: a message's readings as one JSON array of
/// `[metric, value, unit]` triples in message order (`unit` null when absent), e.g.
/// `[["temperature",24.3,"celsius"],["co2",812,null]]`. Readable with SQLite's json functions and
/// PostgreSQL's `::jsonb`.
enum ReadingsColumn {
    static func encode(_ readings: [Reading]) -> String {
        var text = JSONTextBuilder(capacity: 2 + readings.count * 40)
        text.raw("[")
        for (offset, reading) in readings.enumerated() {
            if offset > 0 { text.raw(",") }
            text.raw("[")
            text.string(reading.metric)
            text.raw(",")
            text.raw(JSONNumber.format(reading.value))
            text.raw(",")
            if let unit = reading.unit {
                text.string(unit)
            } else {
                text.raw("null")
            }
            text.raw("]")
        }
        text.raw("]")
        return text.text
    }

    /// Decodes the column; a value that is not the shape above throws (a damaged row is reported,
    /// never guessed at).
    static func decode(_ text: String) throws(EdgeError) -> [Reading] {
        let document: JSONValue
        do {
            document = try JSONParser.parse(text)
        } catch {
            throw EdgeError(.databaseError, "telemetry_raw.readings is not valid JSON: \(error)")
        }
        guard case .array(let items) = document else {
            throw EdgeError(.databaseError, "telemetry_raw.readings is not a JSON array")
        }
        var readings: [Reading] = []
        readings.reserveCapacity(items.count)
        for item in items {
            guard case .array(let fields) = item, fields.count == 3,
                case .string(let metric) = fields[0], case .number(let value) = fields[1]
            else {
                throw EdgeError(.databaseError, "telemetry_raw.readings holds an entry that is not [metric, value, unit]")
            }
            let unit: String?
            switch fields[2] {
            case .string(let text): unit = text
            case .null: unit = nil
            default: throw EdgeError(.databaseError, "telemetry_raw.readings holds a unit that is not a string or null")
            }
            readings.append(Reading(metric: metric, value: value.value, unit: unit))
        }
        return readings
    }
}
