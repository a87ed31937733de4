// Reader for the LC-Rec / LETTER processed format, as in the bundled
// Amazon Scientific data (github.com/Nishikata97/CollisionGenRec):
// `X.inter.json` = {"user": [item ids in chronological order]} and
// `X.item.json` = {"item id": {title, description, brand, categories}}.
// There are no timestamps: the position in the list is the time. Users are
// numbered in numeric id order (lexicographic if any id is not a number).
// Whole-file JSON has no record lines, so errors point at the line where the
// offending key first appears, and syntax errors at the line and column of the
// byte offset the JSON parser reports.
import Foundation

public enum LCRecReader {
    public static func read(inter: String, item: String, lenient: Bool = false) throws -> RawData {
        var raw = RawData()
        let policy = RecordPolicy(lenient: lenient, format: .lcrec)
        raw.sources = [try SourceReading.describe(role: "inter", path: inter),
                       try SourceReading.describe(role: "item", path: item)]

        let itemData = try SourceReading.readAll(path: item)
        guard let itemObj = try parseObject(itemData, path: item) else {
            throw FormatSniffing.explain(.malformedRecord(path: item, line: 1, message: "expected a JSON object of item id -> fields"),
                                         path: item, line: 1, expected: .lcrec)
        }
        if itemObj.isEmpty { throw RecSysError.emptyFile(path: item) }
        var allItemIDs = Set<String>()
        for key in sortedKeys(itemObj.keys) {
            allItemIDs.insert(key)
            let line = { JSONText.lineOfKey(key, in: itemData) }
            guard let fields = itemObj[key] as? [String: Any] else {
                try policy.reject(.malformedRecord(path: item, line: line(), message: "item '\(key)' is not an object"),
                                  reason: "item entry that is not an object", at: "\(item):\(line())", log: &raw.skipped)
                continue
            }
            let title = TextCleaning.clean(JSONText.textField(fields["title"], separator: " "))
            if title.isEmpty { raw.dropped.record("item without a title", at: "\(item):\(line())"); continue }
            raw.items[key] = Item(id: key, title: title,
                                  brand: TextCleaning.clean(JSONText.textField(fields["brand"], separator: " ")),
                                  categories: TextCleaning.clean(JSONText.textField(fields["categories"] ?? fields["category"], separator: ",")),
                                  description: TextCleaning.clean(JSONText.textField(fields["description"], separator: " ")))
        }

        let interData = try SourceReading.readAll(path: inter)
        guard let interObj = try parseObject(interData, path: inter) else {
            throw FormatSniffing.explain(.malformedRecord(path: inter, line: 1, message: "expected a JSON object of user id -> item id list"),
                                         path: inter, line: 1, expected: .lcrec)
        }
        if interObj.isEmpty { throw RecSysError.emptyFile(path: inter) }
        for user in sortedKeys(interObj.keys) {
            let line = { JSONText.lineOfKey(user, in: interData) }
            guard let list = interObj[user] as? [Any] else {
                try policy.reject(.malformedRecord(path: inter, line: line(), message: "user '\(user)': expected a list of item ids"),
                                  reason: "user entry that is not a list", at: "\(inter):\(line())", log: &raw.skipped)
                continue
            }
            for (position, value) in list.enumerated() {
                guard let id = JSONText.scalarText(value) else {
                    try policy.reject(.malformedRecord(path: inter, line: line(), message: "user '\(user)': item at position \(position) is not an id"),
                                      reason: "item id that is not a string or number", at: "\(inter):\(line())", log: &raw.skipped)
                    continue
                }
                guard allItemIDs.contains(id) else {
                    try policy.reject(.unknownItem(path: inter, line: line(), itemID: id),
                                      reason: "interaction with an unknown item id", at: "\(inter):\(line())", log: &raw.skipped)
                    continue
                }
                guard raw.items[id] != nil else {
                    raw.dropped.record("interaction with an item without a title", at: "\(inter):\(line())")
                    continue
                }
                raw.interactions.append(RawInteraction(user: user, item: id, time: Double(position)))
            }
        }
        return raw
    }

    private static func parseObject(_ data: Data, path: String) throws -> [String: Any]? {
        do {
            return try JSONSerialization.jsonObject(with: data) as? [String: Any]
        } catch {
            let located: RecSysError
            if let (line, column) = JSONText.location(ofParseError: error, in: data) {
                located = .malformedRecord(path: path, line: line, message: "column \(column): " + SourceReading.parseMessage(error))
            } else {
                located = .malformedRecord(path: path, line: 1, message: SourceReading.parseMessage(error))
            }
            throw FormatSniffing.explain(located, path: path, line: located.fileLocation?.line ?? 1, expected: .lcrec)
        }
    }

    /// Numeric order when every key is an integer, else lexicographic: reproducible user and item numbering.
    static func sortedKeys(_ keys: Dictionary<String, Any>.Keys) -> [String] {
        let all = Array(keys)
        let numbers = all.map { Int($0) }
        if numbers.allSatisfy({ $0 != nil }) {
            return zip(all, numbers).sorted { $0.1! < $1.1! }.map(\.0)
        }
        return all.sorted()
    }
}
