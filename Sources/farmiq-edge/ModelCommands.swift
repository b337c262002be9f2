import ArgumentParser
import FarmIQApp
import FarmIQCore

/// `farmiq-edge model …`: the stations' weight models of edge-vision-inference (README "Weight models").
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Show, export and import the stations' weight models (weight_kg = a * area_px^b).",
        subcommands: [ModelShowCommand.self, ModelExportCommand.self, ModelImportCommand.self])
}

extension DatabaseFlags {
    func runModels(_ action: EdgeTools.ModelAction) async throws {
        let configuration = resolve()
        let logger = bootstrapToolLogging(configuration)
        print(try await EdgeTools.models(action, configuration: configuration, logger: logger))
    }
}

/// `{tenant}/{station}`, validated.
struct StationArgument: ParsableArguments {
    @Argument(help: "the station as {tenant}/{station}, each 1-64 chars of [A-Za-z0-9_-]") var station: String

    func parts() throws -> (tenant: String, station: String) {
        let parts = station.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy(Identifier.isValidName) else {
            throw ValidationError("the station must be {tenant}/{station}, each 1-64 chars of [A-Za-z0-9_-]")
        }
        return (parts[0], parts[1])
    }
}

struct ModelShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "The current model of every station.")
    @Option(help: "only this tenant's stations") var tenant: String?
    @OptionGroup var options: DatabaseFlags
    func validate() throws {
        if let tenant, !Identifier.isValidName(tenant) { throw ValidationError("--tenant must be 1-64 chars of [A-Za-z0-9_-]") }
    }
    func run() async throws { try await options.runModels(.show(tenantID: tenant)) }
}

struct ModelExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a station's current model as a JSON file.")
    @OptionGroup var station: StationArgument
    @Option(help: "the file to write (default: print it)") var output: String?
    @OptionGroup var options: DatabaseFlags
    func run() async throws {
        let (tenant, name) = try station.parts()
        try await options.runModels(.export(tenantID: tenant, station: name, path: output))
    }
}

struct ModelImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Check a model file and install it as its station's next version (calibrated only if fitted on enough sessions).")
    @Argument(help: "the model file (from model export, or fitted elsewhere)") var file: String
    @Option(help: "install it for this {tenant}/{station} instead of the one the file names") var station: String?
    @OptionGroup var options: DatabaseFlags
    func run() async throws {
        var target: (tenant: String, station: String)?
        if let station { target = try StationArgument.parse([station]).parts() }
        try await options.runModels(.import(path: file, tenantID: target?.tenant, station: target?.station))
    }
}
