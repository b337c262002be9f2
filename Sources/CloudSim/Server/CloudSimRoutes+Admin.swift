import FarmIQCore
import Hummingbird
import NIOCore

extension CloudSimRoutes {
    /// `/admin/…`: no token (cloud-sim is a test peer; bind it to loopback or a private network).
    func registerAdmin(on router: Router<CloudSimRequestContext>) {
        let controller = self.controller
        router.get("/admin/stats") { _, _ in
            CloudSimRoutes.json(.ok, JSONWriter.write(try await controller.stats().json))
        }
        router.get("/admin/faults") { _, _ in
            CloudSimRoutes.json(.ok, JSONWriter.write(controller.faults.json))
        }
        router.post("/admin/faults") { request, _ in
            let document: JSONValue
            switch await CloudSimRoutes.adminDocument(request) {
            case .success(let value): document = value
            case .failure(let failure): return failure.response
            }
            var faults = controller.faults
            do throws(EdgeError) {
                try faults.apply(json: document)
            } catch {
                return CloudSimRoutes.error(.badRequest, error.message)
            }
            // Here `down_for_ms` means "down now, for that long".
            if let downFor = faults.downFor {
                faults.downFor = nil
                controller.setFaults(faults)
                controller.goDown(for: downFor)
            } else {
                controller.setFaults(faults)
            }
            return CloudSimRoutes.json(.ok, JSONWriter.write(controller.faults.json))
        }
        router.delete("/admin/faults") { _, _ in
            controller.clearFaults()
            return CloudSimRoutes.json(.ok, JSONWriter.write(controller.faults.json))
        }
        router.post("/admin/down") { request, _ in
            let document: JSONValue
            switch await CloudSimRoutes.adminDocument(request) {
            case .success(let value): document = value
            case .failure(let failure): return failure.response
            }
            guard case .number(let forMS)? = document["for_ms"], forMS.value > 0, forMS.value <= 86_400_000 else {
                return CloudSimRoutes.error(.badRequest, "for_ms must be a number of milliseconds, 1-86400000")
            }
            var mode: CloudSimFaults.DownMode?
            if let modeValue = document["mode"] {
                guard case .string(let text) = modeValue, let parsed = CloudSimFaults.DownMode(rawValue: text) else {
                    return CloudSimRoutes.error(.badRequest, "mode must be refuse or unavailable")
                }
                mode = parsed
            }
            controller.goDown(for: .milliseconds(Int64(forMS.value)), mode: mode)
            return CloudSimRoutes.json(.accepted, "{\"down_for_ms\":\(Int64(forMS.value)),\"mode\":\"\(controller.faults.downMode.rawValue)\"}")
        }
        router.post("/admin/up") { _, _ in
            controller.comeUp()
            return CloudSimRoutes.json(.ok, "{\"down\":false}")
        }
        router.get("/admin/events/{tenant_id}/{event_id}") { _, context in
            guard let tenantID = context.parameters.get("tenant_id"), let eventID = context.parameters.get("event_id"),
                Identifier.isValidName(tenantID), Identifier.isValidUUID(eventID)
            else {
                return CloudSimRoutes.error(.badRequest, "tenant_id or event_id is not valid")
            }
            guard let record = try await controller.event(tenantID: tenantID, eventID: eventID) else {
                return CloudSimRoutes.error(.notFound, "event not received")
            }
            return CloudSimRoutes.json(.ok, JSONWriter.write(record.json))
        }
    }

    /// A small JSON object body of an admin request.
    static func adminDocument(_ request: Request) async -> Result<JSONValue, ResponseFailure> {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: 64 * 1024) else {
            return .failure(ResponseFailure(error(.contentTooLarge, "admin bodies are at most 64 KiB")))
        }
        guard let document = try? JSONParser.parse(Array(buffer.readableBytesView)), document.isObject else {
            return .failure(ResponseFailure(error(.badRequest, "the body must be a JSON object")))
        }
        return .success(document)
    }
}
