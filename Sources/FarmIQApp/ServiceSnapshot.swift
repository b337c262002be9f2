import AsyncHTTPClient
import FarmIQCore
import Foundation
import NIOCore

/// What the running edge reports about itself on `/metrics`, for `farmiq-edge status`.
struct ServiceSnapshot: Sendable {
    let url: String
    /// Samples by name with labels (`farmiq_mqtt_connected`), nil when the service did not answer.
    let samples: [String: Double]?
    let failure: String?

    /// `http://{FARMIQ_HTTP_HOST}:{FARMIQ_HTTP_PORT}/metrics` (a wildcard host is asked on loopback), 2 s timeout.
    static func fetch(_ configuration: EdgeConfiguration) async -> ServiceSnapshot {
        let host = ["0.0.0.0", "::", ""].contains(configuration.httpHost) ? "127.0.0.1" : configuration.httpHost
        let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(configuration.httpPort)/metrics"
        do {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2))
            let body = try await response.body.collect(upTo: 8 << 20)
            guard response.status == .ok else { return ServiceSnapshot(url: url, samples: nil, failure: "answered \(response.status.code)") }
            return ServiceSnapshot(url: url, samples: parse(String(buffer: body)), failure: nil)
        } catch {
            return ServiceSnapshot(url: url, samples: nil, failure: "\(error)")
        }
    }

    /// Prometheus text format: `name{labels} value` lines, comments skipped.
    static func parse(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// One or two lines for the status report.
    var summary: String {
        guard let samples else {
            return "  Service: not reachable at \(url): is farmiq-edge running? The figures below come from the database. [\(failure ?? "no answer")]"
        }
        var parts: [String] = []
        if let connected = samples["farmiq_mqtt_connected"] {
            parts.append(connected == 1 ? "broker connected" : "broker NOT connected")
        }
        if let age = samples["farmiq_ingest_oldest_unacknowledged_age_seconds"], age >= 60 {
            parts.append("intake STALLED: a message has waited \(EdgeTools.formatAge(age)) for its commit")
        }
        if samples["farmiq_ingest_paused_disk_full"] == 1 { parts.append("intake PAUSED: database volume above its hard watermark") }
        if samples["farmiq_storage_pressure"] == 1 { parts.append("above the soft watermark: reclaiming synced data early") }
        if parts.isEmpty { parts.append("running (no gateway in this process)") }
        return "  Service at \(url): " + parts.joined(separator: "; ")
    }
}
