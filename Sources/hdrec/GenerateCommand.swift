import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'generate' is not implemented yet") }
}
