// Reader for the raw Amazon Reviews 2018 files (Ni, Li and McAuley, EMNLP 2019)
// as users download them: the 5-core review file `{Category}_5.json(.gz)`
// (JSON lines with reviewerID, asin, unixReviewTime) and the metadata
// `meta_{Category}.json(.gz)` (JSON lines with asin, title, brand, category
// [list], description [list]). Items whose metadata lacks a title (after
// cleaning) are dropped, as are reviews of items without metadata: paper §4.1.1
// "we filter out items without titles". Duplicate metadata lines keep the first.
import Foundation

public enum Amazon2018Reader {
    /// Reads both files. Strict mode fails on the first malformed record; lenient mode skips and counts.
    public static func read(reviews: String, meta: String, lenient: Bool = false) throws -> RawData {
        var raw = RawData()
        let policy = RecordPolicy(lenient: lenient, format: .amazon2018)
        raw.sources = [try SourceReading.describe(role: "reviews", path: reviews),
                       try SourceReading.describe(role: "meta", path: meta)]
        var seenMeta = Set<String>()
        var metaRecords = 0, reviewRecords = 0
        try SourceReading.forEachJSONLine(path: meta) { line, value in
            let here = "\(meta):\(line)"
            metaRecords += 1
            let first = metaRecords == 1
            guard let obj = try policy.object(value, path: meta, line: line, reason: "malformed metadata line", at: here,
                                              log: &raw.skipped, first: first) else { return }
            guard let asinValue = obj["asin"], let asin = JSONText.scalarText(asinValue), !asin.isEmpty else {
                try policy.reject(.missingField(path: meta, line: line, field: "asin"), reason: "metadata without 'asin'", at: here, log: &raw.skipped, first: first)
                return
            }
            guard seenMeta.insert(asin).inserted else {
                raw.dropped.record("duplicate metadata line (first kept)", at: here)
                return
            }
            let title = TextCleaning.clean(JSONText.textField(obj["title"], separator: " "))
            guard !title.isEmpty else {
                raw.dropped.record("item without a title", at: here)
                return
            }
            raw.items[asin] = Item(
                id: asin, title: title,
                brand: TextCleaning.clean(JSONText.textField(obj["brand"], separator: " ")),
                categories: TextCleaning.clean(JSONText.textField(obj["category"] ?? obj["categories"], separator: ",")),
                description: TextCleaning.clean(JSONText.textField(obj["description"], separator: " ")))
        }
        try SourceReading.forEachJSONLine(path: reviews) { line, value in
            let here = "\(reviews):\(line)"
            reviewRecords += 1
            let first = reviewRecords == 1
            guard let obj = try policy.object(value, path: reviews, line: line, reason: "malformed review line", at: here,
                                              log: &raw.skipped, first: first) else { return }
            for field in ["reviewerID", "asin", "unixReviewTime"] where obj[field] == nil {
                try policy.reject(.missingField(path: reviews, line: line, field: field), reason: "review without '\(field)'", at: here, log: &raw.skipped, first: first)
                return
            }
            guard let user = JSONText.scalarText(obj["reviewerID"]!), let asin = JSONText.scalarText(obj["asin"]!),
                  let time = (obj["unixReviewTime"] as? NSNumber)?.doubleValue ?? (obj["unixReviewTime"] as? String).flatMap(Double.init)
            else {
                try policy.reject(.malformedRecord(path: reviews, line: line, message: "reviewerID/asin must be text and unixReviewTime a number"),
                                  reason: "review with a badly typed field", at: here, log: &raw.skipped, first: first)
                return
            }
            guard raw.items[asin] != nil else {
                raw.dropped.record("review of an item without metadata or title", at: here)
                return
            }
            raw.interactions.append(RawInteraction(user: user, item: asin, time: time))
        }
        return raw
    }
}
