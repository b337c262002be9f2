import FarmIQCore
import FarmIQStorage

/// A station's model as a small JSON file (`farmiq-edge model export|import`), so a model fitted in the cloud or on
/// another barn can be installed:
///
/// ```json
/// {"format": "farmiq-weight-model", "format_version": 1, "tenant_id": "demo", "station": "st-1",
///  "source_version": "st-1/v7", "a": 1.95e-5, "b": 1.49, "sessions": 12, "cv_mape": 0.021, "calibrated": true}
/// ```
///
/// An imported file is checked, never trusted blindly (``parse(_:)``): at most 64 KiB of JSON; ids per
/// `contracts.md` §1; `a` positive and finite; `b` in 0.5…3 (the constant-density exponent is 1.5); the weight it
/// predicts for a bird of 10,000 pixels within 5 g…50 kg; `sessions` 0…1,000,000; `cv_mape` absent or 0…1. It is
/// calibrated only if the file says so **and** it was fitted on at least ``WeightCalibration/minimumSessions``
/// sessions. Installed, it becomes the station's next version with origin `import`.
public enum WeightModelFile {
    public static let format = "farmiq-weight-model"
    public static let maximumBytes = 64 * 1024

    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func export(_ model: StationModel) -> String {
        var text = "{\"format\":\"\(format)\",\"format_version\":1,\"tenant_id\":"
        JSONWriter.writeString(model.tenantID, into: &text)
        text += ",\"station\":"
        JSONWriter.writeString(model.station, into: &text)
        text += ",\"source_version\":"
        JSONWriter.writeString(model.versionName, into: &text)
        text += ",\"a\":\(JSONNumber(model.a).text),\"b\":\(JSONNumber(model.b).text),\"sessions\":\(model.sessions)"
        text += ",\"cv_mape\":\(model.crossValidatedMAPE.map { JSONNumber($0).text } ?? "null"),\"calibrated\":\(model.calibrated)}"
        return text + "\n"
    }

    /// The model in `bytes`, checked; `tenantID`/`station` install it for another station than the file names.
    public static func parse(_ bytes: [UInt8], tenantID: String? = nil, station: String? = nil, at time: Timestamp) throws(Invalid) -> StationModel {
        guard bytes.count <= maximumBytes else { throw Invalid(description: "the file is over \(maximumBytes) bytes") }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes, maxDepth: 4)
        } catch {
            throw Invalid(description: "not JSON: \(error)")
        }
        guard json["format"] == .string(format) else { throw Invalid(description: "\"format\" is not \"\(format)\"") }
        guard case .number(let formatVersion)? = json["format_version"], formatVersion.value == 1 else { throw Invalid(description: "\"format_version\" is not 1") }
        guard let tenant = tenantID ?? text(json["tenant_id"]), Identifier.isValidName(tenant) else {
            throw Invalid(description: "\"tenant_id\" must be 1-64 chars of [A-Za-z0-9_-]")
        }
        guard let stationName = station ?? text(json["station"]), Identifier.isValidName(stationName) else {
            throw Invalid(description: "\"station\" must be 1-64 chars of [A-Za-z0-9_-]")
        }
        guard case .number(let aNumber)? = json["a"], aNumber.value > 0, aNumber.value.isFinite else {
            throw Invalid(description: "\"a\" must be a positive number")
        }
        guard case .number(let bNumber)? = json["b"], bNumber.value >= 0.5, bNumber.value <= 3 else {
            throw Invalid(description: "\"b\" must be between 0.5 and 3")
        }
        guard case .number(let sessionsNumber)? = json["sessions"], let sessions = sessionsNumber.integerValue, (0...1_000_000).contains(sessions) else {
            throw Invalid(description: "\"sessions\" must be an integer 0-1000000")
        }
        var mape: Double?
        switch json["cv_mape"] {
        case nil, .null?: mape = nil
        case .number(let number)? where number.value >= 0 && number.value <= 1: mape = number.value
        default: throw Invalid(description: "\"cv_mape\" must be null or between 0 and 1")
        }
        guard case .bool(let claimsCalibrated)? = json["calibrated"] else { throw Invalid(description: "\"calibrated\" must be true or false") }
        let model = StationModel(
            tenantID: tenant, station: stationName, a: aNumber.value, b: bNumber.value, sessions: sessions, crossValidatedMAPE: mape,
            calibrated: claimsCalibrated && sessions >= WeightCalibration.minimumSessions, origin: .import, createdAt: time)
        let reference = WeightModel(model).weightKg(areaPixels: 10_000)
        guard reference.isFinite, reference >= 0.005, reference <= 50 else {
            throw Invalid(description: "the model says a bird of 10,000 pixels weighs \(reference) kg (outside 0.005-50)")
        }
        return model
    }

    private static func text(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }
}
