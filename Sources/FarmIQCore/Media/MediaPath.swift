/// Where an image lives under the media root (`contracts.md` §3):
/// `{tenant_id}/{farm_id}/{barn_id}/{session_id | _none}/{timestamp}.jpg`, `timestamp` being `captured_at` in UTC
/// as `YYYYMMDDTHHMMSSmmmZ`.
///
/// A path outside the media root cannot be built: every segment comes from an already validated value
/// (``DeviceAddress`` names of `[A-Za-z0-9_-]`, a canonical UUID, a formatted ``Timestamp``), so none can hold a
/// `/`, a `..` or a NUL, and the initializer checks it again.
///
/// Collision rule (ours; the contract only says two uploads never overwrite each other): the first image stored
/// for a `captured_at` in a session takes `{timestamp}.jpg`; any later, different image with the same
/// `captured_at` takes `{timestamp}-{media_id}.jpg`. The media id is unique, so the second name never collides.
public struct MediaPath: Sendable, Hashable, CustomStringConvertible {
    /// Relative to the media root, `/`-separated, never starting with `/`.
    public let relative: String
    /// The directory part of ``relative``.
    public let directory: String

    /// The segment used for images without a session.
    public static let noSession = "_none"

    /// The first-choice path, or (`mediaID` given) the collision path.
    public init(address: DeviceAddress, sessionID: String?, capturedAt: Timestamp, collidingMediaID mediaID: String? = nil) {
        let session = sessionID.flatMap { Identifier.isValidUUID($0) ? $0 : nil } ?? Self.noSession
        directory = "\(address.tenantID)/\(address.farmID)/\(address.barnID)/\(session)"
        if let mediaID, Identifier.isValidUUID(mediaID) {
            relative = "\(directory)/\(capturedAt.compactUTC)-\(mediaID).jpg"
        } else {
            relative = "\(directory)/\(capturedAt.compactUTC).jpg"
        }
        precondition(Self.isContained(relative), "media path escapes the media root: \(relative)")
    }

    /// A path read back from the database; `nil` unless it has the contract's shape (five segments of safe
    /// characters ending in `.jpg`), so a tampered row cannot point outside the media root.
    public init?(stored relative: String) {
        guard Self.isContained(relative) else { return nil }
        let segments = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 5, segments[4].hasSuffix(".jpg") else { return nil }
        self.relative = relative
        self.directory = segments.dropLast().joined(separator: "/")
    }

    /// The absolute path under `root`.
    public func absolute(under root: String) -> String {
        root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    /// ``relative``.
    public var description: String { relative }

    /// True when every segment is 1–100 characters of `[A-Za-z0-9_.-]`, none is `.` or `..`, and the path is
    /// relative.
    public static func isContained(_ relative: String) -> Bool {
        let segments = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.isEmpty else { return false }
        for segment in segments {
            guard !segment.isEmpty, segment.utf8.count <= 100, segment != ".", segment != ".." else { return false }
            for byte in segment.utf8 {
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
                    continue
                default:
                    return false
                }
            }
        }
        return true
    }
}
