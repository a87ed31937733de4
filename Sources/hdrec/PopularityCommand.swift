import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct PopularityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "popularity", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'popularity' is not implemented yet") }
}
