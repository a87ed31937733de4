import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct PrepareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prepare", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'prepare' is not implemented yet") }
}
