import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'compare' is not implemented yet") }
}
