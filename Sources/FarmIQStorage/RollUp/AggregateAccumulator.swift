import FarmIQCore

/// Pre-aggregates the readings of the new messages of a batch per (group, bucket), so each
/// `telemetry_agg` row is upserted once per batch.
struct AggregateAccumulator {
    private(set) var deltas: [AggregateKey: AggregateDelta] = [:]

    mutating func add(_ message: TelemetryMessage) {
        let occurredAt = message.header.occurredAt
        let ms = occurredAt.millisecondsSinceEpoch
        for (index, reading) in message.readings.enumerated() {
            for size in AggregateBucketSize.allCases {
                let key = AggregateKey(
                    tenantID: message.address.tenantID, farmID: message.address.farmID, barnID: message.address.barnID,
                    deviceID: message.address.deviceID, metric: reading.metric, bucketSeconds: size.seconds,
                    bucketStart: size.bucketStart(of: occurredAt).millisecondsSinceEpoch)
                // One hash and lookup per key (the check-then-insert form hashed the key's five strings twice).
                if let slot = deltas.index(forKey: key) {
                    deltas.values[slot].add(value: reading.value, occurredAt: ms, eventID: message.header.eventID, index: index)
                } else {
                    deltas[key] = AggregateDelta(value: reading.value, occurredAt: ms, eventID: message.header.eventID, index: index)
                }
            }
        }
    }
}
