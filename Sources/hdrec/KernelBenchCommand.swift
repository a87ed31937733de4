import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct KernelBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-kernels", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'bench-kernels' is not implemented yet") }
}
