import FarmIQCore
import FarmIQStorage

/// The request body of `POST /api/v1/edge/events`: `{"edge_id","batch_id","events":[…]}`. The outbox bodies are
/// ready-made event objects and are copied in as they are.
enum BatchEncoder {
    static func json(edgeID: String, batchID: String, rows: [OutboxRow]) -> [UInt8] {
        var text = "{\"edge_id\":"
        JSONWriter.writeString(edgeID, into: &text)
        text += ",\"batch_id\":\"\(batchID)\",\"events\":["
        text.reserveCapacity(text.utf8.count + rows.reduce(0) { $0 + $1.body.utf8.count + 1 } + 2)
        for (index, row) in rows.enumerated() {
            if index > 0 { text += "," }
            text += row.body
        }
        text += "]}"
        return Array(text.utf8)
    }
}
