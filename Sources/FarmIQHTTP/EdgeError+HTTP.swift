import FarmIQCore
import Hummingbird
import NIOCore

/// Errors become HTTP answers here, at the HTTP edge: the status of ``FarmIQCore/EdgeError/Code/httpStatus``
/// (database down: `503`; data the database refuses: `422`) and a JSON body `{"error": code, "message": …}`.
extension EdgeError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: code.httpStatus) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var body = "{\"error\":"
        JSONWriter.writeString(code.rawValue, into: &body)
        body += ",\"message\":"
        JSONWriter.writeString(message, into: &body)
        body += "}"
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
