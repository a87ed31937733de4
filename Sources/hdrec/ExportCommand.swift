import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'export' is not implemented yet") }
}
