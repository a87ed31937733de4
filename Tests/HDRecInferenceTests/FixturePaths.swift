// Where the HDRecInference tests find their fixtures (next to this file) and the
// shared read-only reference material (../shared, optional).
import Foundation

enum FixturePaths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let fixtures = testsDirectory.appendingPathComponent("Fixtures")
    static let packageRoot = testsDirectory.deletingLastPathComponent().deletingLastPathComponent()

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// A file under ../shared, or nil when it is absent.
    static func shared(_ relative: String) -> URL? {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent(relative)
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }
}
