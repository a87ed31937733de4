// From raw interactions to the canonical dataset, the same for every format:
//   1. interactions already exclude items without a title (the readers drop them, paper §4.1.1);
//   2. group by user (users numbered in source order) and stable-sort each
//      sequence by time, so equal timestamps keep their file order;
//   3. iterative k-core: drop users with fewer than k items and items with fewer
//      than k interactions, repeating until nothing changes (k = 5 in the paper);
//      users need at least 3 items whatever k is, for the leave-one-out split;
//   4. optionally keep a reproducible random sample of `maxUsers` of the k-core's
//      users (SplitMix64 seed), whole: the items are those the sample touches. The
//      k-core is re-run on the sample only with `refilter` (docs/recsys.md explains why
//      that is not the default: it starves small samples);
//   5. number items by first appearance along the user sequences.
// Duplicate (user, item) interactions are kept, as RecBole and the reference do.
import Support

/// Filtering options for `hdrec prepare`.
public struct PrepareOptions: Sendable {
    public var kcore: Int = 5
    public var maxUsers: Int? = nil
    public var seed: UInt64 = 42
    /// Re-apply the k-core to the `maxUsers` sample (the sample then shrinks below N).
    public var refilter = false
    public init(kcore: Int = 5, maxUsers: Int? = nil, seed: UInt64 = 42, refilter: Bool = false) {
        self.kcore = kcore
        self.maxUsers = maxUsers
        self.seed = seed
        self.refilter = refilter
    }
}

public enum DatasetBuilder {
    /// Applies the filters and the split, returning the dataset and the number of k-core rounds.
    public static func build(_ raw: RawData, name: String, options: PrepareOptions) throws -> (Dataset, kcoreRounds: Int) {
        var userOrder: [String] = []
        var perUser: [String: [(item: String, time: Double, order: Int)]] = [:]
        for (order, r) in raw.interactions.enumerated() {
            if perUser[r.user] == nil { userOrder.append(r.user) }
            perUser[r.user, default: []].append((r.item, r.time, order))
        }
        guard !userOrder.isEmpty else { throw RecSysError.emptyDataset(reason: "no interactions with titled items were read") }
        var users = userOrder
        var sequences: [[String]] = userOrder.map { u in
            perUser[u]!.sorted { ($0.time, $0.order) < ($1.time, $1.order) }.map(\.item)
        }

        var rounds = kcore(&users, &sequences, k: options.kcore)
        guard !users.isEmpty else {
            throw RecSysError.emptyDataset(reason: "the \(options.kcore)-core filter removed every user")
        }

        // Sampling after the k-core keeps every sampled user whole, so exactly n users remain.
        // Re-running the item k-core on the sample instead starves it: an item with 5 of its
        // interactions among 8317 users has few among 2000, and the cascade that follows
        // took a 2000-user sample of Scientific down to 18 users.
        if let n = options.maxUsers, n < users.count {
            guard n > 0 else { throw RecSysError.invalidArgument("--max-users must be positive, got \(n)") }
            var rng = SplitMix64(seed: options.seed)
            var idx = Array(0..<users.count)
            for i in 0..<n {
                let j = i + Int(rng.next() % UInt64(idx.count - i))
                idx.swapAt(i, j)
            }
            let keep = idx[0..<n].sorted()
            users = keep.map { users[$0] }
            sequences = keep.map { sequences[$0] }
            if options.refilter {
                rounds += kcore(&users, &sequences, k: options.kcore)
                guard !users.isEmpty else {
                    throw RecSysError.emptyDataset(reason: "re-applying the \(options.kcore)-core to the \(n)-user sample removed every user")
                }
            }
        }

        var index: [String: Int] = [:]
        var items: [Item] = []
        let numbered: [[Int]] = sequences.map { s in
            s.map { id in
                if let i = index[id] { return i }
                index[id] = items.count
                items.append(raw.items[id]!)
                return items.count - 1
            }
        }
        return (try Dataset(name: name, items: items, userIDs: users, sequences: numbered), rounds)
    }

    /// Iterative k-core in place: drops users with fewer than max(k, 3) items and items with
    /// fewer than k interactions until nothing changes. Returns the number of rounds.
    static func kcore(_ users: inout [String], _ sequences: inout [[String]], k: Int) -> Int {
        let minLength = max(k, 3)
        let minItemCount = max(k, 1)
        var rounds = 0
        while true {
            rounds += 1
            var changed = false
            var keptUsers: [String] = [], keptSeqs: [[String]] = []
            for (u, s) in zip(users, sequences) where s.count >= minLength {
                keptUsers.append(u); keptSeqs.append(s)
            }
            if keptUsers.count != users.count { changed = true }
            users = keptUsers; sequences = keptSeqs
            var counts: [String: Int] = [:]
            for s in sequences { for i in s { counts[i, default: 0] += 1 } }
            if counts.values.contains(where: { $0 < minItemCount }) {
                changed = true
                sequences = sequences.map { $0.filter { counts[$0]! >= minItemCount } }
            }
            if !changed { break }
        }
        return rounds
    }
}
