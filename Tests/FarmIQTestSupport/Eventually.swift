import Testing

/// Polls `condition` every 50 ms until it holds or `timeout` passes, and returns whether it held; when it never
/// held, records an issue at the caller's line. A condition still running after a minute is named in the
/// test log by ``watched(_:after:_:)``; one that throws counts as not (yet) holding, except on the last try.
///
/// A state probe, not a sleep: tests wait for what they check, never for a fixed time.
@discardableResult
public func eventually(
    timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await watched("eventually's condition at \(sourceLocation)", { try await condition() })) == true { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    let final = try await condition()
    #expect(final, "condition not met within \(timeout)", sourceLocation: sourceLocation)
    return final
}
