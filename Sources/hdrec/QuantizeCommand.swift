import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct QuantizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quantize", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'quantize' is not implemented yet") }
}
