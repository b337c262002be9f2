import FarmIQCore
import FarmIQStorage
import Hummingbird
import NIOCore

/// JSON bodies of the telemetry API (written directly; every string goes through ``JSONWriter``).
enum TelemetryJSON {
    static func response(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func readings(_ rows: [RawReading]) -> String {
        array("readings", rows) { row, out in
            address(row.tenantID, row.farmID, row.barnID, row.deviceID, &out)
            field("event_id", row.eventID, &out); out += ","
            field("metric", row.metric, &out)
            out += ",\"value\":\(number(row.value)),\"unit\":"
            if let unit = row.unit { JSONWriter.writeString(unit, into: &out) } else { out += "null" }
            out += ",\"occurred_at\":\"\(row.occurredAt.rfc3339)\",\"received_at\":\"\(row.receivedAt.rfc3339)\"}"
        }
    }

    static func aggregates(_ rows: [AggregateBucket]) -> String {
        array("aggregates", rows) { row, out in
            address(row.tenantID, row.farmID, row.barnID, row.deviceID, &out)
            field("metric", row.metric, &out)
            out += ",\"bucket\":\"\(row.bucket.rawValue)\",\"bucket_start\":\"\(row.bucketStart.rfc3339)\""
            out += ",\"count\":\(row.count),\"sum\":\(number(row.sum)),\"min\":\(number(row.min)),\"max\":\(number(row.max))"
            out += ",\"avg\":\(number(row.avg)),\"last\":\(number(row.last)),\"last_occurred_at\":\"\(row.lastOccurredAt.rfc3339)\"}"
        }
    }

    static func latest(_ rows: [LatestReading]) -> String {
        array("latest", rows) { row, out in
            address(row.tenantID, row.farmID, row.barnID, row.deviceID, &out)
            field("metric", row.metric, &out)
            out += ",\"value\":\(number(row.value)),\"occurred_at\":\"\(row.occurredAt.rfc3339)\"}"
        }
    }

    private static func array<T>(_ name: String, _ rows: [T], _ write: (T, inout String) -> Void) -> String {
        var out = "{\"\(name)\":["
        for (offset, row) in rows.enumerated() {
            if offset > 0 { out += "," }
            write(row, &out)
        }
        out += "]}"
        return out
    }

    /// `{"tenant_id":…,"farm_id":…,"barn_id":…,"device_id":…,` — the start of every row object.
    private static func address(_ tenant: String, _ farm: String, _ barn: String, _ device: String, _ out: inout String) {
        out += "{"
        for (name, value) in [("tenant_id", tenant), ("farm_id", farm), ("barn_id", barn), ("device_id", device)] {
            field(name, value, &out)
            out += ","
        }
    }

    private static func field(_ name: String, _ value: String, _ out: inout String) {
        out += "\"\(name)\":"
        JSONWriter.writeString(value, into: &out)
    }

    private static func number(_ value: Double) -> String {
        value.isFinite ? JSONNumber(value).text : "null"
    }
}
