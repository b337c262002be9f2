import ArgumentParser
import Foundation
import FarmIQApp
import FarmIQStorage

/// `farmiq-edge outbox …`: what an operator does with events the cloud rejected.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Inspect and resolve events parked after a cloud rejection.",
        subcommands: [DeadLettersCommand.self, RetryCommand.self, DiscardCommand.self])
}

/// Which parked events a retry or discard applies to.
struct DeadLetterOptions: ParsableArguments {
    @Option(help: "dead-letter ids (from `outbox dead-letters`), comma-separated") var ids: String?
    @Option(help: "every dead letter of this event type") var eventType: String?
    @Flag(help: "every dead letter") var all = false

    func selection() throws -> DeadLetterSelection {
        let chosen = [ids != nil, eventType != nil, all].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("give exactly one of --ids, --event-type, --all") }
        if all { return .all }
        if let eventType { return .eventType(eventType) }
        let parsed = (ids ?? "").split(separator: ",").map { Int64($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else { throw ValidationError("--ids must be numbers, e.g. 4,7,9") }
        return .ids(parsed.compactMap { $0 })
    }

    /// Retries (`retry: true`) or discards the selected dead letters; returns how many.
    func resolve(retry: Bool, options: DatabaseFlags) async throws -> Int {
        let configuration = options.resolve()
        let logger = options.bootstrapToolLogging(configuration)
        return try await EdgeTools.resolveDeadLetters(configuration: configuration, selection: try selection(), retry: retry, logger: logger)
    }
}

struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dead-letters", abstract: "List parked events and the cloud's reason.")

    @Option(help: "most rows to list") var limit: Int = 100
    @OptionGroup var options: DatabaseFlags

    func run() async throws {
        let configuration = options.resolve()
        let logger = options.bootstrapToolLogging(configuration)
        print(try await EdgeTools.deadLetters(configuration: configuration, limit: max(1, min(limit, 10_000)), logger: logger))
    }
}

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Queue parked events for the cloud again.")

    @OptionGroup var which: DeadLetterOptions
    @OptionGroup var options: DatabaseFlags

    func run() async throws {
        let count = try await which.resolve(retry: true, options: options)
        print("\(count) dead letters queued again.")
    }
}

struct DiscardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "discard", abstract: "Drop parked events for good.")

    @OptionGroup var which: DeadLetterOptions
    @OptionGroup var options: DatabaseFlags

    func run() async throws {
        let count = try await which.resolve(retry: false, options: options)
        print("\(count) dead letters discarded.")
    }
}
