// The project's real documents (the committed bundle's manifest.json and catalog.jsonl,
// Recipes/*.json) read through JSONDocumentDecoder give the values Foundation's
// JSONDecoder gives, so files written before the switch load unchanged. (The typed
// comparisons, BundleManifest and TrainingRecipe, are in HDRecInferenceTests and
// TrainingTests; this one walks every value of each document.)
import Foundation
import JSON
import Testing

/// Any JSON value, decoded through the Codable containers only.
indirect enum AnyDocument: Codable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([AnyDocument]), object([String: AnyDocument])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([AnyDocument].self) { self = .array(a) }
        else { self = .object(try c.decode([String: AnyDocument].self)) }
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .number(d): try c.encode(d)
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }

    var count: Int {
        switch self {
        case let .array(a): return 1 + a.reduce(0) { $0 + $1.count }
        case let .object(o): return 1 + o.values.reduce(0) { $0 + $1.count }
        default: return 1
        }
    }
}

@Suite("JSON documents agree with Foundation")
struct FoundationAgreementTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var documents: [String] {
        let recipes = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Recipes").path)) ?? []
        return ["artifacts/default/manifest.json"] + recipes.filter { $0.hasSuffix(".json") }.sorted().map { "Recipes/" + $0 }
    }

    @Test("manifest.json and every recipe: equal values, and the re-written text reads back equal in both")
    func documents() throws {
        #expect(Self.documents.count >= 5)
        for path in Self.documents {
            let data = try Data(contentsOf: Self.root.appendingPathComponent(path))
            let ours = try JSONDocumentDecoder().decode(AnyDocument.self, from: data)
            #expect(ours == (try JSONDecoder().decode(AnyDocument.self, from: data)), "\(path)")
            #expect(ours.count > 10, "\(path)")
            for layout in [JSONLayout.compact, .pretty] {
                let written = Data(try JSONDocumentEncoder(layout: layout, sortedKeys: true).encode(ours).utf8)
                #expect(try JSONDecoder().decode(AnyDocument.self, from: written) == ours, "\(path) \(layout)")
            }
        }
    }

    /// run.json, history.json, recipe.json and evaluation.json of local training runs
    /// (runs/, not committed: written by earlier builds with Foundation's encoder).
    static var runFiles: [String] {
        let runs = root.appendingPathComponent("runs").resolvingSymlinksInPath().path
        let names: Set<String> = ["run.json", "history.json", "recipe.json", "evaluation.json"]
        return (FileManager.default.enumerator(atPath: runs)?.allObjects as? [String] ?? [])
            .filter { names.contains(($0 as NSString).lastPathComponent) }.sorted().map { runs + "/" + $0 }
    }

    @Test("local training runs' files (runs/) read to the same values", .enabled(if: !runFiles.isEmpty, "no runs/ with run files here"))
    func localRunFiles() throws {
        for path in Self.runFiles {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(try JSONDocumentDecoder().decode(AnyDocument.self, from: data) == (try JSONDecoder().decode(AnyDocument.self, from: data)), "\(path)")
        }
    }

    @Test("every line of the committed catalog.jsonl")
    func catalog() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("artifacts/default/catalog.jsonl"))
        let lines = data.split(separator: 0x0A)
        #expect(lines.count > 1000)
        for line in lines {
            let ours = try JSONDocumentDecoder().decode(AnyDocument.self, from: line)
            #expect(ours == (try JSONDecoder().decode(AnyDocument.self, from: Data(line))))
        }
    }

    @Test("Foundation accepts a repeated key silently; the document decoder refuses it where it stands")
    func repeatedKey() throws {
        let data = Data(#"{"epochs": 3, "epochs": 4}"#.utf8)
        #expect(try JSONDecoder().decode([String: Int].self, from: data).count == 1)
        #expect(throws: JSONError.duplicateKey(key: "epochs", offset: 14, end: 22)) {
            try JSONDocumentDecoder().decode([String: Int].self, from: data)
        }
    }
}
