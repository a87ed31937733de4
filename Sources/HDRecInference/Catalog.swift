// The item catalog of a bundle (catalog.jsonl): one JSON object per line, in
// IPL order (line n = IPL output n = SASRec row n + 1), with the external id
// string that requests use, the title, and the optional text fields.
// Spec: docs/bundle.md "catalog.jsonl".
import Foundation
import Support

/// One catalog line.
public struct CatalogItem: Sendable, Equatable, Codable {
    /// The external id (requests and responses use it). Unique, non-empty.
    public var id: String
    public var title: String
    public var brand: String?
    /// Comma-separated category path, as the dataset gives it.
    public var categories: String?
    public var description: String?

    public init(id: String, title: String, brand: String? = nil, categories: String? = nil, description: String? = nil) {
        self.id = id
        self.title = title
        self.brand = brand
        self.categories = categories
        self.description = description
    }

    /// The text of one attribute (nil or empty when absent).
    public func value(of attribute: ItemAttribute) -> String? {
        switch attribute {
        case .title: return title
        case .brand: return brand
        case .categories: return categories
        case .description: return description
        }
    }
}

/// The items in IPL order, with an id → index map.
public struct Catalog: Sendable, Equatable {
    public let items: [CatalogItem]
    private let indexByID: [String: Int]

    public var count: Int { items.count }

    /// Checks that ids are non-empty and unique.
    public init(items: [CatalogItem], source: String = "catalog") throws {
        var map: [String: Int] = [:]
        map.reserveCapacity(items.count)
        for (n, item) in items.enumerated() {
            guard !item.id.isEmpty else {
                throw HDRecInferenceError.malformedLine(path: source, line: n + 1, problem: "empty 'id'")
            }
            if let previous = map[item.id] {
                throw HDRecInferenceError.malformedLine(path: source, line: n + 1,
                                                     problem: "duplicate id '\(item.id)' (first on line \(previous + 1))")
            }
            map[item.id] = n
        }
        self.items = items
        self.indexByID = map
    }

    /// The IPL index of an external id.
    public func index(of id: String) -> Int? { indexByID[id] }

    /// IPL indices of `ids`, or an error listing every unknown one.
    public func indices(of ids: [String]) throws -> [Int] {
        var out: [Int] = []
        var unknown: [String] = []
        for id in ids {
            if let i = indexByID[id] { out.append(i) } else { unknown.append(id) }
        }
        guard unknown.isEmpty else { throw HDRecInferenceError.unknownItemIDs(unknown) }
        return out
    }

    /// Parses catalog.jsonl; errors name the file and line.
    public static func load(path: String) throws -> Catalog {
        guard let data = FileManager.default.contents(atPath: path) else { throw HDRecInferenceError.missingFile(path: path) }
        return try parse(data, source: path)
    }

    /// Parses JSONL bytes (blank lines are skipped).
    public static func parse(_ data: Data, source: String) throws -> Catalog {
        guard let text = String(data: data, encoding: .utf8) else {
            throw HDRecInferenceError.malformedFile(path: source, field: "(file)", problem: "not UTF-8")
        }
        let decoder = JSONDecoder()
        var items: [CatalogItem] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            do {
                items.append(try decoder.decode(CatalogItem.self, from: Data(trimmed.utf8)))
            } catch let DecodingError.keyNotFound(key, _) {
                throw HDRecInferenceError.malformedLine(path: source, line: lineNumber, problem: "missing field '\(key.stringValue)'")
            } catch let DecodingError.typeMismatch(_, context) {
                let field = context.codingPath.map(\.stringValue).joined(separator: ".")
                throw HDRecInferenceError.malformedLine(path: source, line: lineNumber, problem: "field '\(field)' must be a string")
            } catch let DecodingError.valueNotFound(_, context) {
                let field = context.codingPath.map(\.stringValue).joined(separator: ".")
                throw HDRecInferenceError.malformedLine(path: source, line: lineNumber, problem: "field '\(field)' is null")
            } catch {
                throw HDRecInferenceError.malformedLine(path: source, line: lineNumber, problem: "not a JSON object")
            }
        }
        // Line numbers in duplicate-id errors count items, which equal lines when there are no blank lines.
        return try Catalog(items: items, source: source)
    }

    /// The JSONL text: one object per item with sorted keys, absent fields omitted.
    public func jsonl() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var out = Data()
        for item in items {
            out.append(try encoder.encode(item))
            out.append(0x0A)
        }
        return out
    }

    /// Writes catalog.jsonl atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(try jsonl(), to: path)
    }
}
