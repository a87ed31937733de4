import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct RecommendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recommend", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'recommend' is not implemented yet") }
}
