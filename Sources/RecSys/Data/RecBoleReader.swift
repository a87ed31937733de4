// Reader for RecBole atomic files: a tab-separated `.inter` whose header types
// each column as `name:type` (needs `user_id` and `item_id`; `timestamp` is
// used for the time order when present, else the row order), and a `.item`
// with `item_id` and `title` (optional `brand`, `categories`/`category`,
// `description`). See RecBole's "Atomic Files" documentation.
import Foundation
import Support

public enum RecBoleReader {
    public static func read(inter: String, item: String, lenient: Bool = false) throws -> RawData {
        var raw = RawData()
        let policy = RecordPolicy(lenient: lenient, format: .recbole)
        raw.sources = [try SourceReading.describe(role: "inter", path: inter),
                       try SourceReading.describe(role: "item", path: item)]

        var allItemIDs = Set<String>()
        try forEachRow(path: item, required: ["item_id", "title"]) { line, columns, row in
            let here = "\(item):\(line)"
            guard try hasEveryField(row, columns, path: item, line: line, reason: "item row with the wrong number of fields",
                                    at: here, policy: policy, log: &raw.skipped) else { return }
            func field(_ names: String...) -> String {
                for n in names { if let c = columns[n] { return row[c] } }
                return ""
            }
            let id = field("item_id")
            guard !id.isEmpty else {
                try policy.reject(.missingField(path: item, line: line, field: "item_id"), reason: "item row without an id", at: here, log: &raw.skipped)
                return
            }
            guard allItemIDs.insert(id).inserted else { raw.dropped.record("duplicate item row (first kept)", at: here); return }
            let title = TextCleaning.clean(field("title"))
            if title.isEmpty { raw.dropped.record("item without a title", at: here); return }
            raw.items[id] = Item(id: id, title: title, brand: TextCleaning.clean(field("brand")),
                                 categories: TextCleaning.clean(field("categories", "category")),
                                 description: TextCleaning.clean(field("description")))
        }
        var rowIndex = 0.0
        try forEachRow(path: inter, required: ["user_id", "item_id"]) { line, columns, row in
            let here = "\(inter):\(line)"
            guard try hasEveryField(row, columns, path: inter, line: line, reason: "interaction row with the wrong number of fields",
                                    at: here, policy: policy, log: &raw.skipped) else { return }
            let user = row[columns["user_id"]!], id = row[columns["item_id"]!]
            var time = rowIndex
            rowIndex += 1
            if let c = columns["timestamp"] {
                guard let t = Double(row[c]) else {
                    try policy.reject(.malformedRecord(path: inter, line: line, message: "timestamp '\(row[c])' is not a number"),
                                      reason: "interaction with a bad timestamp", at: here, log: &raw.skipped)
                    return
                }
                time = t
            }
            guard allItemIDs.contains(id) else {
                try policy.reject(.unknownItem(path: inter, line: line, itemID: id), reason: "interaction with an unknown item id", at: here, log: &raw.skipped)
                return
            }
            guard raw.items[id] != nil else { raw.dropped.record("interaction with an item without a title", at: here); return }
            raw.interactions.append(RawInteraction(user: user, item: id, time: time))
        }
        return raw
    }

    /// Whether `row` has as many fields as the header has columns; when it does not, the row
    /// has been rejected (strict mode throws).
    private static func hasEveryField(_ row: [String], _ columns: [String: Int], path: String, line: Int, reason: String,
                                      at location: String, policy: RecordPolicy, log: inout SkipLog) throws -> Bool {
        if row.count == columns.count { return true }
        try policy.reject(.malformedRecord(path: path, line: line, message: "expected \(columns.count) tab-separated fields, found \(row.count)"),
                          reason: reason, at: location, log: &log)
        return false
    }

    /// Streams data rows with a column map from the typed header (`name:type` -> column index).
    private static func forEachRow(path: String, required: [String],
                                   _ body: (_ line: Int, _ columns: [String: Int], _ row: [String]) throws -> Void) throws {
        var columns: [String: Int]?
        var rows = 0
        do {
            try Gzip.forEachLine(path: path) { n, bytes in
                let text = String(decoding: bytes, as: UTF8.self)
                if columns == nil {
                    var map: [String: Int] = [:]
                    for (i, cell) in text.split(separator: "\t", omittingEmptySubsequences: false).enumerated() {
                        let name = cell.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
                        map[name] = i
                    }
                    for r in required where map[r] == nil {
                        let error = RecSysError.badHeader(path: path, message: "no '\(r):...' column in header '\(text.prefix(200))'")
                        throw FormatSniffing.explain(error, path: path, line: n, expected: .recbole)
                    }
                    columns = map
                    return
                }
                if text.isEmpty { return }
                rows += 1
                try body(n, columns!, text.split(separator: "\t", omittingEmptySubsequences: false).map(String.init))
            }
        } catch let e as SupportError {
            throw RecSysError.cannotRead(path: path, message: e.description)
        }
        if columns == nil || rows == 0 { throw RecSysError.emptyFile(path: path) }
    }
}
