// A binary heap used as the merge work queue of both BPE variants. Entries are
// never updated in place: a merge that went stale is left in the heap and
// skipped when popped (lazy deletion), which keeps each merge O(log n) instead
// of rescanning the word (the quadratic textbook loop).

/// A min-heap: `pop` returns the smallest element by `<`.
struct BinaryHeap<Element: Comparable> {
    private(set) var storage: [Element] = []

    init(capacity: Int = 0) { storage.reserveCapacity(capacity) }

    var isEmpty: Bool { storage.isEmpty }

    mutating func removeAll() { storage.removeAll(keepingCapacity: true) }

    mutating func push(_ element: Element) {
        storage.append(element)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if storage[child] < storage[parent] {
                storage.swapAt(child, parent)
                child = parent
            } else {
                break
            }
        }
    }

    mutating func pop() -> Element? {
        guard !storage.isEmpty else { return nil }
        let top = storage[0]
        let last = storage.removeLast()
        if !storage.isEmpty {
            storage[0] = last
            var parent = 0
            let count = storage.count
            while true {
                let left = 2 * parent + 1
                if left >= count { break }
                let right = left + 1
                var best = left
                if right < count && storage[right] < storage[left] { best = right }
                if storage[best] < storage[parent] {
                    storage.swapAt(best, parent)
                    parent = best
                } else {
                    break
                }
            }
        }
        return top
    }
}
