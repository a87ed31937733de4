import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct LogitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logits", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'logits' is not implemented yet") }
}
