// Title search for GET /items: a case- and accent-insensitive substring match, cheap
// enough to run on every keystroke. The titles are folded once, when an engine is
// installed (off the request path), into one contiguous UTF-8 buffer, NUL between titles;
// a query is folded the same way and found with memchr (glibc's vectorised byte scan) for
// its rarest byte in the catalog and memcmp around each hit, so a request costs one pass
// over a few hundred kilobytes, few comparisons, and no allocation per title. (Swift's
// Glibc module does not export memmem; scanning for the rarest byte, not the first, keeps
// "ex" from stopping at every "e".)
// Folding is Foundation's (case, diacritics, width), so "CAFÉ" finds "cafe" and "ｃａｆｅ".
// UTF-8 is self-synchronising, so a byte match of a folded query starts and ends on
// character boundaries of the folded title.
import Foundation
import HDRecInference

public final class CatalogSearch: Sendable {
    /// The folded titles, in catalog order, each followed by a NUL.
    private let text: [UInt8]
    /// `starts[i]` is the offset of item i's folded title in `text`; one extra entry at the end.
    private let starts: [Int]
    /// How often each byte value occurs in `text`: picks the byte a query is scanned for.
    private let byteCounts: [Int]

    public var count: Int { starts.count - 1 }

    public init(catalog: Catalog) {
        var text: [UInt8] = []
        var starts: [Int] = []
        starts.reserveCapacity(catalog.count + 1)
        for item in catalog.items {
            starts.append(text.count)
            // NUL separates titles, so a NUL inside one (never in a query) becomes a space.
            text.append(contentsOf: CatalogSearch.fold(item.title).utf8.map { $0 == 0 ? 0x20 : $0 })
            text.append(0)
        }
        starts.append(text.count)
        var counts = [Int](repeating: 0, count: 256)
        for b in text { counts[Int(b)] += 1 }
        self.text = text
        self.starts = starts
        byteCounts = counts
    }

    /// The form both titles and queries are compared in.
    public static func fold(_ s: String) -> String {
        s.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }

    /// Items whose folded title contains the folded `query`, in catalog order, starting at
    /// item `from`: the first `limit` of them, the item to resume after them (nil when
    /// there are no more), and how many items match in the whole catalog. An empty query
    /// matches every item.
    public func search(_ query: String, from: Int, limit: Int) -> (items: [Int], next: Int?, total: Int) {
        let needle = Array(CatalogSearch.fold(query).utf8)
        if needle.isEmpty {
            let end = min(count, from + limit)
            return (Array(min(from, count) ..< end), end < count ? end : nil, count)
        }
        if needle.contains(0) { return ([], nil, 0) }  // no title holds a NUL
        var items: [Int] = []
        var next: Int?
        var total = 0
        let pivot = needle.indices.min { byteCounts[Int(needle[$0])] < byteCounts[Int(needle[$1])] }!
        text.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                var offset = 0
                while let at = CatalogSearch.find(pin, pivot: pivot, in: hay, from: offset) {
                    let item = itemContaining(offset: at)
                    total += 1
                    if item >= from {
                        if items.count < limit { items.append(item) } else if next == nil { next = item }
                    }
                    offset = starts[item + 1]  // one hit per title is enough
                }
            }
        }
        return (items, next, total)
    }

    /// The offset of the first occurrence of `needle` (non-empty) in `hay` at or after
    /// `from`, found by scanning for `needle[pivot]` and comparing the whole needle around it.
    private static func find(_ needle: UnsafeRawBufferPointer, pivot: Int, in hay: UnsafeRawBufferPointer,
                             from: Int) -> Int? {
        guard let base = hay.baseAddress else { return nil }
        let byte = Int32(needle[pivot])
        var at = from  // the candidate start
        while hay.count - at >= needle.count {
            // needle[pivot] sits at start + pivot; the last start that fits is hay.count - needle.count.
            guard let hit = memchr(base + at + pivot, byte, hay.count - needle.count - at + 1) else { return nil }
            at = base.distance(to: UnsafeRawPointer(hit)) - pivot
            if memcmp(base + at, needle.baseAddress!, needle.count) == 0 { return at }
            at += 1
        }
        return nil
    }

    /// The item whose folded title spans `offset` (binary search over `starts`).
    private func itemContaining(offset: Int) -> Int {
        var lo = 0, hi = count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }
}
