import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'train' is not implemented yet") }
}
