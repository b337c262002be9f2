/// The bounds of one `POST /api/v1/media/images` (`contracts.md` §3 and what keeps a hostile body cheap).
public struct MediaUploadLimits: Sendable {
    /// The image part, bytes (§3: 10 MiB). Over it: `413`.
    public var maxImageBytes: Int = 10 * 1024 * 1024
    /// Pixels per side, from the JPEG header (§3: 8192). Over it: `413`.
    public var maxDimension: Int = 8192
    /// The whole body: the image plus room for the fields and the multipart framing. Over it: `413`.
    public var maxBodyBytes: Int = 10 * 1024 * 1024 + 64 * 1024
    /// Parts in one body (`image`, `event_id`, `captured_at`, `session_id` and a few a client may add). Over it: `400`.
    public var maxParts: Int = 8
    /// Header lines per part, and their total bytes. Over it: `400`.
    public var maxHeadersPerPart: Int = 16
    public var maxHeaderBytesPerPart: Int = 8 * 1024
    /// Bytes the multipart parser may consume without producing anything (a header line, a preamble). Over it: `400`.
    public var maxSilentBytes: Int = 8 * 1024
    /// A field's value (`event_id`, `captured_at`, `session_id`), bytes. Over it: `400`.
    public var maxFieldBytes: Int = 1024
    /// A part with another name is read and dropped, up to this many bytes. Over it: `400`.
    public var maxIgnoredPartBytes: Int = 64 * 1024
    /// How much of the image is kept in memory for the header parse (its markers up to the start of scan).
    public var headerPrefixBytes: Int = 512 * 1024

    public init() {}
}
