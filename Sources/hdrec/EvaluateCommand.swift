import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'evaluate' is not implemented yet") }
}
