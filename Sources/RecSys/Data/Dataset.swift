// The canonical in-memory dataset shared by every model: items with their
// external string ids and cleaned text, and one chronological sequence per
// user. The leave-one-out split (paper §4.1.2) is positional: the last item is
// the test target, the one before it the validation target, the rest is
// training history. Item index i (0-based) is row i+1 of an embedding table
// whose row 0 is padding (docs/public-code.md §4).

/// One item: its external id (ASIN or source id as text) and cleaned text fields.
public struct Item: Sendable, Equatable {
    public var id: String
    public var title: String
    public var brand: String
    public var categories: String
    public var description: String

    public init(id: String, title: String, brand: String = "", categories: String = "", description: String = "") {
        self.id = id
        self.title = title
        self.brand = brand
        self.categories = categories
        self.description = description
    }
}

/// Table 1 statistics of a prepared dataset.
public struct DatasetStats: Sendable, Equatable {
    public var users: Int
    public var items: Int
    public var interactions: Int
    /// Interactions per user ("Avg. Items" in the paper's Table 1).
    public var averageItems: Double { users > 0 ? Double(interactions) / Double(users) : 0 }
    public var minLength: Int
    public var maxLength: Int
    /// 1 - interactions / (users * items).
    public var sparsity: Double { users > 0 && items > 0 ? 1 - Double(interactions) / (Double(users) * Double(items)) : 0 }
}

/// Items and chronological user sequences, with the leave-one-out split.
public struct Dataset: Sendable {
    public var name: String
    public var items: [Item]
    public var userIDs: [String]
    /// Per user, item indices in chronological order; every sequence has at least 3 items.
    public var sequences: [[Int]]
    /// External item id -> item index.
    public let itemIndex: [String: Int]

    /// Builds a dataset; sequences must reference valid item indices and hold >= 3 items.
    public init(name: String, items: [Item], userIDs: [String], sequences: [[Int]]) throws {
        guard userIDs.count == sequences.count else {
            throw RecSysError.invalidArgument("dataset \(name): \(userIDs.count) user ids but \(sequences.count) sequences")
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            if index[item.id] != nil { throw RecSysError.invalidArgument("dataset \(name): duplicate item id '\(item.id)'") }
            index[item.id] = i
        }
        for (u, s) in sequences.enumerated() {
            guard s.count >= 3 else {
                throw RecSysError.invalidArgument("dataset \(name): user '\(userIDs[u])' has \(s.count) items; leave-one-out needs at least 3")
            }
            if let bad = s.first(where: { $0 < 0 || $0 >= items.count }) {
                throw RecSysError.invalidArgument("dataset \(name): user '\(userIDs[u])' references item index \(bad) of \(items.count)")
            }
        }
        self.name = name
        self.items = items
        self.userIDs = userIDs
        self.sequences = sequences
        self.itemIndex = index
    }

    public var numItems: Int { items.count }
    public var numUsers: Int { userIDs.count }

    /// Training history of user `u`: all but the last two items.
    public func train(_ u: Int) -> ArraySlice<Int> { sequences[u].dropLast(2) }
    /// Validation target of user `u`: the second-to-last item.
    public func valid(_ u: Int) -> Int { sequences[u][sequences[u].count - 2] }
    /// Test target of user `u`: the last item.
    public func test(_ u: Int) -> Int { sequences[u][sequences[u].count - 1] }

    /// The history seen before the target of `split` (train for valid; train + valid for test).
    public func history(_ u: Int, for split: Split) -> ArraySlice<Int> {
        switch split {
        case .valid: return sequences[u].dropLast(2)
        case .test: return sequences[u].dropLast(1)
        }
    }

    /// The target of `split` for user `u`.
    public func target(_ u: Int, for split: Split) -> Int { split == .valid ? valid(u) : test(u) }

    /// Table 1 statistics.
    public var stats: DatasetStats {
        let lengths = sequences.map(\.count)
        return DatasetStats(users: numUsers, items: numItems, interactions: lengths.reduce(0, +),
                            minLength: lengths.min() ?? 0, maxLength: lengths.max() ?? 0)
    }
}

/// The two evaluation splits of leave-one-out.
public enum Split: String, Sendable, CaseIterable {
    case valid, test
}
