import FarmIQCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Media bytes under `{root}/{tenant_id}/{media_id}`. Ids are validated before they reach a path, and the
/// resulting path is checked to stay inside the root.
struct MediaFiles: Sendable {
    let root: String

    /// The file of one media object, or nil if the ids are not valid (never a path outside the root).
    func path(tenantID: String, mediaID: String) -> String? {
        guard Identifier.isValidName(tenantID), Identifier.isValidUUID(mediaID), tenantID != ".", tenantID != ".." else {
            return nil
        }
        let path = root + "/" + tenantID + "/" + mediaID
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        let rootPath = URL(fileURLWithPath: root).standardizedFileURL.path
        guard standardized.hasPrefix(rootPath + "/") else { return nil }
        return standardized
    }

    /// Writes the bytes atomically (temporary file and rename), creating the tenant folder.
    func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url, options: .atomic)
    }
}
