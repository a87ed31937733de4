import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'inspect' is not implemented yet") }
}
