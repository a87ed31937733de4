import ArgumentParser

// Placeholder registration: replaced by the owning module's implementation.
struct SASRecCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sasrec", abstract: "(not implemented yet)")
    func run() async throws { throw ValidationError("'sasrec' is not implemented yet") }
}
