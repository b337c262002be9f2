import FarmIQCore

/// Pre-aggregates the readings of the new messages of a batch per (group, bucket), so each
/// `telemetry_agg` row is upserted once per batch.
///
/// Each message's device address is looked up once and stands as a small integer in the keys of its readings:
/// a message makes `readings × 2` keys, and hashing and comparing the address's four strings in each of them was
/// about 7% of the gateway's CPU (`perf` of `farmiq-edge bench ingest`).
struct AggregateAccumulator {
    /// A reading's group and bucket, its device as an index into `addresses`.
    private struct Slot: Hashable {
        var address: Int32
        var bucketSeconds: Int32
        var bucketStart: Int64
        var metric: String
    }

    private var addresses: [DeviceAddress] = []
    private var addressIndexes: [DeviceAddress: Int32] = [:]
    private var slots: [Slot: AggregateDelta] = [:]

    /// The delta of each `telemetry_agg` row, with its full group, in the table's primary-key order
    /// (``AggregateKey/primaryKeyOrder(_:_:)``): writers upserting in this order take the rows' locks in one global
    /// order, so concurrent batches on PostgreSQL wait for each other instead of deadlocking. (Sorted here, where
    /// the gateway prepares a batch ahead of its commit, not on the commit's path.)
    var deltas: [(key: AggregateKey, delta: AggregateDelta)] {
        slots.map { slot, delta in
            let address = addresses[Int(slot.address)]
            return (AggregateKey(
                tenantID: address.tenantID, farmID: address.farmID, barnID: address.barnID, deviceID: address.deviceID,
                metric: slot.metric, bucketSeconds: Int(slot.bucketSeconds), bucketStart: slot.bucketStart), delta)
        }.sorted { AggregateKey.primaryKeyOrder($0.key, $1.key) }
    }

    mutating func add(_ message: TelemetryMessage) {
        let address = message.address
        let addressIndex: Int32
        if let known = addressIndexes[address] {
            addressIndex = known
        } else {
            addressIndex = Int32(addresses.count)
            addresses.append(address)
            addressIndexes[address] = addressIndex
        }
        let occurredAt = message.header.occurredAt
        let ms = occurredAt.millisecondsSinceEpoch
        let eventID = message.header.eventID
        for (index, reading) in message.readings.enumerated() {
            for size in AggregateBucketSize.allCases {
                let slot = Slot(
                    address: addressIndex, bucketSeconds: Int32(size.seconds),
                    bucketStart: size.bucketStart(of: occurredAt).millisecondsSinceEpoch, metric: reading.metric)
                // One hash and lookup per key (the check-then-insert form hashed the key twice).
                if let position = slots.index(forKey: slot) {
                    slots.values[position].add(value: reading.value, occurredAt: ms, eventID: eventID, index: index)
                } else {
                    slots[slot] = AggregateDelta(value: reading.value, occurredAt: ms, eventID: eventID, index: index)
                }
            }
        }
    }
}
