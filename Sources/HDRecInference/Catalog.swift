// The item catalog of a bundle (catalog.jsonl): one JSON object per line, in
// IPL order (line n = IPL output n = SASRec row n + 1), with the external id
// string that requests use, the title, and the optional text fields.
// Spec: docs/bundle.md "catalog.jsonl".
import Foundation
import JSON
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

    /// Parses JSONL bytes (blank lines are skipped); errors name the line, the field and
    /// the byte offset in the file.
    public static func parse(_ data: Data, source: String) throws -> Catalog {
        let bytes = [UInt8](data)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw HDRecInferenceError.malformedFile(path: source, field: "(file)", problem: "not UTF-8")
        }
        let decoder = JSONDocumentDecoder()
        var items: [CatalogItem] = []
        var lineNumber = 0
        var lineStart = 0
        for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            defer { lineStart += line.count + 1 }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                items.append(try decoder.decode(CatalogItem.self, from: line, baseOffset: lineStart))
            } catch let JSONError.document(field, problem, offset) {
                let what: String
                switch problem {
                case _ where field.isEmpty: what = "not a JSON object"
                case .missing: what = "missing field '\(field)'"
                case .null: what = "field '\(field)' is null"
                default: what = "field '\(field)' must be a string"
                }
                throw HDRecInferenceError.malformedLine(path: source, line: lineNumber, problem: "\(what) (byte \(offset))")
            } catch {
                throw HDRecInferenceError.malformedLine(path: source, line: lineNumber, problem: "not a JSON object: \(error)")
            }
        }
        // Line numbers in duplicate-id errors count items, which equal lines when there are no blank lines.
        return try Catalog(items: items, source: source)
    }

    /// The JSONL text: one object per item with sorted keys, absent fields omitted.
    public func jsonl() throws -> Data {
        let encoder = JSONDocumentEncoder(sortedKeys: true)
        var out = ""
        for item in items {
            out += try encoder.encode(item)
            out += "\n"
        }
        return Data(out.utf8)
    }

    /// Writes catalog.jsonl atomically.
    public func write(to path: String) throws {
        try AtomicFile.write(try jsonl(), to: path)
    }
}
