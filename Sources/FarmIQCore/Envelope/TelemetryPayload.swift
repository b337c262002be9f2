/// Rules of the `telemetry.reading` payload: 1 to 100 readings, metric names per contract,
/// finite numeric values, optional short unit.
enum TelemetryPayload {
    static func readings(from payload: JSONValue) throws(IngestRejection) -> [Reading] {
        guard case .array(let items)? = payload["readings"] else {
            throw IngestRejection(.invalidPayload, "payload.readings must be an array")
        }
        guard !items.isEmpty, items.count <= EnvelopeValidator.maxReadings else {
            throw IngestRejection(.invalidReading, "payload.readings must hold 1 to \(EnvelopeValidator.maxReadings) readings, got \(items.count)")
        }
        var readings: [Reading] = []
        readings.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            guard item.isObject else { throw IngestRejection(.invalidReading, "reading \(index) must be an object") }
            guard case .string(let metric)? = item["metric"], Identifier.isValidMetricName(metric) else {
                throw IngestRejection(.invalidReading, "reading \(index): metric must match ^[a-z][a-z0-9_.]{0,63}$")
            }
            guard case .number(let number)? = item["value"], number.value.isFinite else {
                throw IngestRejection(.invalidReading, "reading \(index): value must be a finite number")
            }
            var unit: String?
            switch item["unit"] {
            case nil, .null?: unit = nil
            case .string(let text)? where !text.isEmpty && text.utf8.count <= 32 && text.unicodeScalars.allSatisfy({ $0.value >= 0x20 }):
                unit = text
            default:
                throw IngestRejection(.invalidReading, "reading \(index): unit must be a string of 1-32 printable characters")
            }
            readings.append(Reading(metric: metric, value: number.value, unit: unit))
        }
        return readings
    }
}
