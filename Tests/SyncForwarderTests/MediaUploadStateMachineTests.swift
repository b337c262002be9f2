@testable import SyncForwarder
import Testing

/// The media upload protocol without I/O (`contracts.md` §4).
@Suite struct MediaUploadStateMachineTests {
    let start = ContinuousClock.now
    var settings: MediaUploadStateMachine.Settings {
        var settings = MediaUploadStateMachine.Settings()
        settings.concurrency = 3
        return settings
    }

    @Test func startsUpToItsConcurrencyAndExcludesWhatIsInFlight() {
        var machine = MediaUploadStateMachine(settings: settings, now: start)
        #expect(machine.capacity(now: start) == 3)
        machine.start("a")
        machine.start("b")
        #expect(machine.capacity(now: start) == 1)
        #expect(machine.excluded(now: start) == ["a", "b"])
        var random = SystemRandomNumberGenerator()
        machine.finished("a", outcome: .stored, now: start, using: &random)
        #expect(machine.capacity(now: start) == 2)
        #expect(machine.excluded(now: start) == ["b"])
    }

    @Test func aRetryableAnswerHoldsEveryStartForTheBackoffAndRetryAfter() {
        var machine = MediaUploadStateMachine(settings: settings, now: start)
        var random = SystemRandomNumberGenerator()
        machine.start("a")
        machine.finished("a", outcome: .retryable(reason: "HTTP 503", retryAfter: .seconds(20)), now: start, using: &random)
        #expect(machine.capacity(now: start.advanced(by: .seconds(19))) == 0)
        #expect(machine.wake(now: start, idle: true) >= start.advanced(by: .seconds(20)))
        #expect(machine.capacity(now: start.advanced(by: .seconds(20))) == 3)
        // Not parked: it is read again.
        #expect(machine.excluded(now: start.advanced(by: .seconds(20))).isEmpty)
        // Retry-After is capped.
        machine.finished("b", outcome: .retryable(reason: "HTTP 429", retryAfter: .seconds(86_400)), now: start, using: &random)
        #expect(machine.wake(now: start, idle: true) <= start.advanced(by: settings.maximumRetryAfter))
    }

    @Test func unauthorizedSuspendsEverything() {
        var machine = MediaUploadStateMachine(settings: settings, now: start)
        var random = SystemRandomNumberGenerator()
        machine.start("a")
        machine.finished("a", outcome: .unauthorized(status: 401), now: start, using: &random)
        #expect(machine.unauthorized)
        #expect(machine.capacity(now: start.advanced(by: .seconds(59))) == 0)
        #expect(machine.capacity(now: start.advanced(by: .seconds(60))) == 3)
        machine.start("a")
        machine.finished("a", outcome: .stored, now: start.advanced(by: .seconds(60)), using: &random)
        #expect(!machine.unauthorized)
    }

    @Test func aRefusedOrUnreadableImageWaitsAloneWhileTheOthersFlow() {
        var machine = MediaUploadStateMachine(settings: settings, now: start)
        var random = SystemRandomNumberGenerator()
        machine.start("bad")
        machine.start("gone")
        machine.finished("bad", outcome: .refused(status: 422, reason: "no"), now: start, using: &random)
        machine.finished("gone", outcome: .unreadable(reason: "missing"), now: start, using: &random)
        #expect(machine.capacity(now: start) == 3)
        #expect(machine.excluded(now: start.advanced(by: .seconds(60))) == ["bad", "gone"])
        #expect(machine.excluded(now: start.advanced(by: settings.refusedRetryInterval)).isEmpty)
    }

    @Test func idlePollsAtItsInterval() {
        let machine = MediaUploadStateMachine(settings: settings, now: start)
        #expect(machine.wake(now: start, idle: true) == start.advanced(by: settings.pollInterval))
        #expect(machine.wake(now: start, idle: false) < start.advanced(by: .seconds(1)))
    }
}
