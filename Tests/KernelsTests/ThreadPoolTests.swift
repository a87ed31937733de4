// ThreadPool: every index runs exactly once, for any count and thread count, and the
// pool copes with nested calls and with several callers at once.
import Testing
import Synchronization
@testable import Kernels

final class Counters: @unchecked Sendable {
    let hits: Mutex<[Int]>
    init(_ n: Int) { hits = Mutex([Int](repeating: 0, count: n)) }
    func hit(_ i: Int) { hits.withLock { $0[i] += 1 } }
    var all: [Int] { hits.withLock { $0 } }
}

@Suite("ThreadPool")
struct ThreadPoolTests {
    @Test("parallelFor runs each index exactly once", arguments: [1, 2, 4])
    func eachIndexOnce(threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        #expect(pool.threadCount == threads)
        for count in [0, 1, 2, 3, 7, 64, 1000] {
            let counters = Counters(count)
            // Repeated jobs exercise the generation hand-off between jobs.
            for _ in 0..<20 { pool.parallelFor(count) { counters.hit($0) } }
            #expect(counters.all == [Int](repeating: 20, count: count), "count \(count)")
        }
    }

    @Test("a nested parallelFor runs inline and completes")
    func nested() {
        let pool = ThreadPool(threadCount: 2)
        let counters = Counters(8 * 8)
        pool.parallelFor(8) { i in
            pool.parallelFor(8) { j in counters.hit(i * 8 + j) }
        }
        #expect(counters.all == [Int](repeating: 1, count: 64))
    }

    @Test("concurrent callers each get all their indices run")
    func concurrentCallers() async {
        let pool = ThreadPool(threadCount: 2)
        let counters = Counters(4 * 500)
        await withTaskGroup(of: Void.self) { group in
            for c in 0..<4 {
                group.addTask {
                    for _ in 0..<50 { pool.parallelFor(500) { counters.hit(c * 500 + $0) } }
                }
            }
        }
        #expect(counters.all == [Int](repeating: 50, count: 2000))
    }

    @Test("the pool's work is visible to the caller when parallelFor returns")
    func visibility() {
        let pool = ThreadPool(threadCount: 3)
        var out = [Int](repeating: 0, count: 10_000)
        out.withUnsafeMutableBufferPointer { buf in
            let p = buf.baseAddress!
            pool.parallelFor(100) { t in for i in (t * 100)..<(t * 100 + 100) { p[i] = i * 2 } }
        }
        #expect(out == (0..<10_000).map { $0 * 2 })
    }

    @Test("a discarded pool stops its threads")
    func deinitStops() {
        for _ in 0..<20 {
            let pool = ThreadPool(threadCount: 3)
            let counters = Counters(10)
            pool.parallelFor(10) { counters.hit($0) }
            #expect(counters.all == [Int](repeating: 1, count: 10))
        }
    }
}
