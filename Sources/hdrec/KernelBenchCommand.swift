// `hdrec bench-kernels`: GFLOP/s of the f32 product and of each quantized-weight
// product at the decoder's shapes (SmolLM2-135M: hidden 576, kv 192, ffn 1536), for
// 1, 16, 128 and 512 activation rows. Weights are random but valid blocks of each
// type (speed does not depend on the values). Each figure is the best of several
// short timed batches, so that a noisy shared machine disturbs it least; `--clock cpu`
// (one thread) counts only this thread's CPU time.
// `make bench` runs this and records the table in BENCHMARKS.md.
import ArgumentParser
import Kernels
import Quant
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct KernelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kernels",
        abstract: "Measure GFLOP/s of the f32 and quantized matrix products at the decoder's shapes.")

    @Option(help: "Worker threads (the calling thread included); default: HDREC_THREADS or the core count.")
    var threads: Int?

    @Flag(help: "Print one JSON record per measurement instead of a table.")
    var json = false

    @Option(help: "Timed batches per measurement (the best one counts).")
    var repeats: Int = 15

    @Option(help: "wall: elapsed time (any thread count); cpu: the calling thread's CPU time, with --threads 1 only (robust on a busy machine).")
    var clock: BenchClock = .wall

    @Option(parsing: .upToNextOption, help: "Weight types to measure.")
    var types: [String] = ["f32", "q4_1", "q8_0", "q4_0", "f16"]

    @Option(parsing: .upToNextOption, help: "Activation row counts.")
    var rows: [Int] = [1, 16, 128, 512]

    /// (k, n): input features × output features.
    static let shapes: [(k: Int, n: Int)] = [(576, 576), (576, 192), (576, 1536), (1536, 576)]

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if repeats < 1 { throw ValidationError("--repeats must be at least 1") }
        for t in types where GGMLType(name: t) == nil { throw ValidationError("unknown type '\(t)'") }
        for t in types where GGMLType(name: t)?.isDecodable == false { throw ValidationError("no kernel for type '\(t)'") }
        if rows.contains(where: { $0 < 1 }) { throw ValidationError("--rows must be positive") }
        if clock == .cpu && (threads ?? ThreadPool.defaultThreadCount()) != 1 {
            throw ValidationError("--clock cpu measures one thread: pass --threads 1")
        }
    }

    func run() throws {
        let pool = ThreadPool(threadCount: threads ?? ThreadPool.defaultThreadCount())
        let weightTypes = types.compactMap { GGMLType(name: $0) }
        if !json {
            print("threads: \(pool.threadCount)   clock: \(clock.rawValue)   GFLOP/s = 2·m·n·k / best time")
            print(pad("k x n", 11) + pad("m", 5) + weightTypes.map { pad($0.description, 9) }.joined())
        }
        for shape in Self.shapes {
            let weights = weightTypes.map { BenchWeight(type: $0, rows: shape.n, cols: shape.k) }
            for m in rows {
                var x = [Float](repeating: 0, count: m * shape.k)
                var state: UInt32 = 12345
                for i in x.indices { state = state &* 1664525 &+ 1013904223; x[i] = Float(state >> 8) / Float(1 << 24) - 0.5 }
                var y = [Float](repeating: 0, count: m * shape.n)
                var line = pad("\(shape.k)x\(shape.n)", 11) + pad("\(m)", 5)
                for w in weights {
                    let seconds = w.bytes.withUnsafeBytes { raw -> Double in
                        // Validated sizes: BenchWeight builds exactly rows * rowSize bytes.
                        guard let weight = try? WeightMatrix(type: w.type, rows: shape.n, cols: shape.k, bytes: raw) else { return .nan }
                        return x.withUnsafeBufferPointer { xp in
                            y.withUnsafeMutableBufferPointer { yp in
                                bestTime(repeats: repeats, clock: clock) {
                                    QuantizedMatMul.linear(yp.baseAddress!, xp.baseAddress!, weight: weight, m: m, pool: pool)
                                }
                            }
                        }
                    }
                    let gflops = 2.0 * Double(m * shape.n * shape.k) / seconds / 1e9
                    if json {
                        print("{\"kernel\":\"linear\",\"type\":\"\(w.type)\",\"k\":\(shape.k),\"n\":\(shape.n),\"m\":\(m),"
                              + "\"threads\":\(pool.threadCount),\"clock\":\"\(clock.rawValue)\",\"seconds\":\(seconds),\"gflops\":\(gflops)}")
                    } else {
                        line += pad(String(format1(gflops)), 9)
                    }
                }
                if !json { print(line) }
            }
        }
    }
}

/// Random valid weight bytes of one type: fp16 scales in a sane range, random quants.
struct BenchWeight {
    let type: GGMLType
    let bytes: [UInt8]

    init(type: GGMLType, rows: Int, cols: Int) {
        self.type = type
        var state: UInt64 = 0x1234_5678 &+ UInt64(type.rawValue)
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        func half(_ v: Float) -> [UInt8] { let b = Float16(v).bitPattern; return [UInt8(b & 0xFF), UInt8(b >> 8)] }
        var out: [UInt8] = []
        let total = rows * (type.rowSize(cols) ?? 0)
        out.reserveCapacity(total)
        let blocks = rows * cols / max(1, type.blockSize)
        for _ in 0..<blocks {
            switch type {
            case .f32:
                withUnsafeBytes(of: (Float(next() % 2000) / 1000 - 1).bitPattern) { out += $0 }
            case .f16:
                out += half(Float(next() % 2000) / 1000 - 1)
            case .bf16:
                let bits = (Float(next() % 2000) / 1000 - 1).bitPattern >> 16
                out += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF)]
            case .q8_0:
                out += half(0.01)
                for _ in 0..<32 { out.append(UInt8(truncatingIfNeeded: next())) }
            case .q4_0:
                out += half(0.05)
                for _ in 0..<16 { out.append(UInt8(truncatingIfNeeded: next())) }
            case .q4_1:
                out += half(0.05); out += half(-0.3)
                for _ in 0..<16 { out.append(UInt8(truncatingIfNeeded: next())) }
            default:
                // Other block types: random codes under small fp16 scales.
                var block = (0..<type.typeSize).map { _ in UInt8(truncatingIfNeeded: next()) }
                for f in type.halfFieldOffsets { block[f] = half(0.01)[0]; block[f + 1] = half(0.01)[1] }
                out += block
            }
        }
        bytes = out
    }
}

enum BenchClock: String, ExpressibleByArgument, Sendable {
    case wall, cpu
}

private func now(_ clock: BenchClock) -> Double {
    var ts = timespec()
    clock_gettime(clock == .wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Best per-call time over `repeats` batches; each batch runs the body enough times
/// to last about 3 ms (one warm-up call first). Short batches fit in one scheduler
/// time slice, so on a busy machine the best batch is one that ran undisturbed.
private func bestTime(repeats: Int, clock: BenchClock, _ body: () -> Void) -> Double {
    body()
    let start = now(clock)
    body()
    let once = max(now(clock) - start, 1e-7)
    let calls = max(1, min(100_000, Int(0.003 / once)))
    var best = Double.infinity
    for _ in 0..<repeats {
        let t0 = now(clock)
        for _ in 0..<calls { body() }
        best = min(best, (now(clock) - t0) / Double(calls))
    }
    return best
}

private func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

private func format1(_ v: Double) -> String {
    guard v.isFinite else { return "n/a" }
    let r = (v * 10).rounded() / 10
    return String(r)
}
