// Helpers for RecSys tests: temporary directories and tiny source files written in each format.
import Foundation
import Support
@testable import RecSys

final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "recsys-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, _ text: String, gzip: Bool = false) throws -> String {
        let p = path + "/" + name
        if gzip { try Gzip.write(Data(text.utf8), to: p) } else { try text.write(toFile: p, atomically: true, encoding: .utf8) }
        return p
    }
}

/// A tiny Amazon 2018 category: six core users over items A-E, a user `w` whose
/// item F has one review (so the iterative 5-core removes F, then w, then X),
/// an item without title T, and out-of-order timestamps with a tie for c1.
enum AmazonFixture {
    static func review(_ user: String, _ asin: String, _ time: Int) -> String {
        "{\"overall\": 5.0, \"verified\": true, \"reviewTime\": \"01 1, 2015\", \"reviewerID\": \"\(user)\", \"asin\": \"\(asin)\", \"reviewerName\": \"x\", \"reviewText\": \"ok\", \"unixReviewTime\": \(time)}"
    }
    static var reviews: String {
        var lines: [String] = []
        // c1: time order E(100), C(200), A(300), B(300 tie, after A in file), D(400), X(500)
        lines += [review("c1", "A", 300), review("c1", "E", 100), review("c1", "B", 300), review("c1", "C", 200), review("c1", "D", 400), review("c1", "X", 500)]
        for u in ["c2", "c3", "c4"] {
            lines += ["A", "B", "C", "D", "E", "X"].enumerated().map { review(u, $0.element, 1000 + $0.offset) }
        }
        for u in ["c5", "c6"] {
            lines += ["A", "B", "C", "D", "E", "T"].enumerated().map { review(u, $0.element, 1000 + $0.offset) }
        }
        lines += ["A", "B", "C", "F", "X"].enumerated().map { review("w", $0.element, 2000 + $0.offset) }
        return lines.joined(separator: "\n") + "\n"
    }
    static var meta: String {
        var lines: [String] = []
        for a in ["A", "B", "C", "D", "E", "F", "X"] {
            lines.append("{\"category\": [\"Industrial &amp; Scientific\", \"Lab\"], \"description\": [\"<b>Great</b> item\", \"line two\"], \"title\": \"Item \(a) &amp; co<br/>\", \"brand\": \"Brand\(a)\", \"asin\": \"\(a)\"}")
        }
        lines.append("{\"category\": [], \"description\": [], \"title\": \"\", \"brand\": \"\", \"asin\": \"T\"}")
        return lines.joined(separator: "\n") + "\n"
    }
}
