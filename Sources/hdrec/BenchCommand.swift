import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'bench' is not implemented yet") }
}
