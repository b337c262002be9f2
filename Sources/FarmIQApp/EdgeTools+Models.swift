import FarmIQCore
import FarmIQStorage
import Foundation
import Logging
import VisionInference

/// `farmiq-edge model …`: the stations' weight models of edge-vision-inference (issue: self-calibration).
extension EdgeTools {
    public enum ModelAction: Sendable {
        /// The current model of every station (of one tenant).
        case show(tenantID: String?)
        /// The station's current model as a ``WeightModelFile`` (to `path`, or printed).
        case export(tenantID: String, station: String, path: String?)
        /// Checks `path` and installs it as the next version of its station (or of `tenantID`/`station`).
        case `import`(path: String, tenantID: String?, station: String?)
    }

    public static func models(_ action: ModelAction, configuration: EdgeConfiguration, logger: Logger) async throws -> String {
        try await withDatabase(configuration, logger: logger) { database in
            try await database.migrate()
            switch action {
            case .show(let tenant):
                let models = try await database.models.currentModels(tenantID: tenant)
                guard !models.isEmpty else {
                    return "no station has a weight model yet\(tenant.map { " for tenant \($0)" } ?? "") (images use the prior until one is calibrated)."
                }
                var lines = ["TENANT / MODEL                            A            B      SESSIONS  CV MAPE  CALIBRATED  ORIGIN  CREATED"]
                for model in models {
                    let name = "\(model.tenantID) / \(model.versionName)"
                    func column(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
                    lines.append(column(name, 40) + "  " + column(String(format: "%.5g", model.a), 11) + "  " + column(String(format: "%.3f", model.b), 5)
                        + "  " + column("\(model.sessions)", 8) + "  "
                        + column(model.crossValidatedMAPE.map { String(format: "%.1f%%", $0 * 100) } ?? "-", 7) + "  "
                        + column(model.calibrated ? "yes" : "no", 10) + "  " + column(model.origin.rawValue, 6) + "  " + model.createdAt.rfc3339)
                }
                return lines.joined(separator: "\n")
            case .export(let tenant, let station, let path):
                guard let model = try await database.models.current(tenantID: tenant, station: station) else {
                    throw EdgeError(.notFound, "station \(tenant)/\(station) has no weight model (farmiq-edge model show)")
                }
                let text = WeightModelFile.export(model)
                guard let path else { return text.trimmingCharacters(in: .newlines) }
                try writeAtomically(text, to: path, permissions: 0o644)
                return "wrote \(model.versionName) of tenant \(tenant) to \(path)."
            case .import(let path, let tenant, let station):
                guard let handle = FileHandle(forReadingAtPath: path) else { throw EdgeError(.notFound, "cannot read \(path)") }
                defer { try? handle.close() }
                let bytes = [UInt8](try handle.read(upToCount: WeightModelFile.maximumBytes + 1) ?? Data())
                let model: StationModel
                do {
                    model = try WeightModelFile.parse(bytes, tenantID: tenant, station: station, at: .now())
                } catch {
                    throw EdgeError(.invalidRequest, "\(path) is not installed: \(error)")
                }
                let stored = try await database.models.add(model)
                return "installed \(stored.versionName) for tenant \(stored.tenantID) (a \(stored.a), b \(stored.b), \(stored.sessions) sessions, "
                    + "\(stored.calibrated ? "calibrated: used for this station's images" : "not calibrated: the prior stays in use until the station has its own"))."
            }
        }
    }
}
