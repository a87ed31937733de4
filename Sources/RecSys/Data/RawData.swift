// What a source reader produces before any filtering: item metadata keyed by
// external id, and (user, item, time) interactions in file order. Keeping
// readers this thin means the paper's filters (§4.1.1) and the split are
// applied by one shared code path whatever the input format.

/// One interaction as read from a source file.
public struct RawInteraction: Sendable {
    public var user: String
    public var item: String
    /// Sort key for the chronological order (a timestamp, or the position in an ordered source).
    public var time: Double
    public init(user: String, item: String, time: Double) {
        self.user = user
        self.item = item
        self.time = time
    }
}

/// A source file and its hash, recorded in the dataset manifest.
public struct SourceFile: Sendable, Equatable {
    public var role: String
    public var path: String
    public var sha256: String
    public var bytes: Int
}

/// Counts of records skipped or dropped, by reason, with the first place each happened.
public struct SkipLog: Sendable {
    public private(set) var reasons: [String] = []
    public private(set) var counts: [String: Int] = [:]
    public private(set) var firstSeen: [String: String] = [:]

    public init() {}

    public mutating func record(_ reason: String, at location: String) {
        if counts[reason] == nil { reasons.append(reason); firstSeen[reason] = location }
        counts[reason, default: 0] += 1
    }

    public var isEmpty: Bool { reasons.isEmpty }

    /// One line per reason: "  12 × missing field 'asin' (first at f.json:3)".
    public var summary: String {
        reasons.map { "  \(counts[$0] ?? 0) × \($0) (first at \(firstSeen[$0] ?? "?"))" }.joined(separator: "\n")
    }
}

/// The output of a source reader.
public struct RawData: Sendable {
    /// Items that have metadata with a non-empty cleaned title.
    public var items: [String: Item] = [:]
    /// Interactions in source order (users appear in the order they should be numbered).
    public var interactions: [RawInteraction] = []
    public var sources: [SourceFile] = []
    /// Malformed records skipped in lenient mode.
    public var skipped = SkipLog()
    /// Records dropped by design (items without a title, duplicates), reported but not errors.
    public var dropped = SkipLog()
    public init() {}
}
