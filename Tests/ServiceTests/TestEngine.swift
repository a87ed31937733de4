// A deterministic test double for the model (test target only; the product never ships
// a fake engine). Scores are integer hashes of (item, seed, history), fused and ranked
// with the real HDRecInference.Fusion and TopK, so responses are predictable per version.
// TestLoader reads a tiny manifest.json {"text","id","items","seed","fail","delay_ms",
// "payload_mb"} from each directory and validates the item count like a real loader.
import Foundation
import HTTP
import JSON
import Logging
import HDRecInference
import Synchronization
@testable import Service

struct TestSpec: Sendable, Equatable {
    var text = "aaaaaaaaaaaa"
    var id = "bbbbbbbbbbbb"
    var items = 20
    var seed = 1
    var fail: String?
    var delayMs = 0
    var payloadMB = 0
    /// Name of a `Latch` every forward waits on (scheduling-independent tests).
    var gate: String?

    var json: String {
        var m: [(String, JSONValue)] = [("text", .string(text)), ("id", .string(id)), ("items", .number(Double(items))),
                                        ("seed", .number(Double(seed))), ("delay_ms", .number(Double(delayMs))),
                                        ("payload_mb", .number(Double(payloadMB)))]
        if let fail { m.append(("fail", .string(fail))) }
        if let gate { m.append(("gate", .string(gate))) }
        return JSONValue.object(m).serialized()
    }
}

enum TestLoaderError: Error, CustomStringConvertible {
    case badManifest(String), itemCountMismatch(Int, Int), requested(String)
    var description: String {
        switch self {
        case .badManifest(let p): return "bad test manifest at \(p)"
        case let .itemCountMismatch(a, b): return "item count \(a) does not match the running catalog's \(b)"
        case .requested(let r): return r
        }
    }
}

/// Live TestEngine instances (to prove old engines are released).
let liveEngines = Mutex(0)

final class TestEngine: RecommendationEngine {
    let spec: TestSpec
    let catalog: Catalog
    let versions: AdapterVersions
    let defaultAlpha: Float = 0.5
    let manifestJSON: [UInt8]
    let payload: [Float]
    let batchSizes = Mutex<[Int]>([])
    /// The history of every request that reached a forward, in order.
    let seen = Mutex<[[Int]]>([])

    init(spec: TestSpec) {
        self.spec = spec
        catalog = try! Catalog(items: (0 ..< spec.items).map { CatalogItem(id: "i\($0)", title: "Item \($0)") })
        versions = AdapterVersions(text: spec.text, id: spec.id)
        manifestJSON = Array(spec.json.utf8)
        // Touch every page so RSS reflects the payload.
        payload = [Float](repeating: Float(spec.seed), count: spec.payloadMB * 262_144)
        liveEngines.withLock { $0 += 1 }
    }

    deinit { liveEngines.withLock { $0 -= 1 } }

    func scores(_ q: RecommendationRequest) -> (text: [Float], id: [Float]) {
        let last = q.history.last ?? 0
        let text = (0 ..< spec.items).map { Float(($0 * 7919 + spec.seed * 31 + last * 13) % 1000) / 100 }
        let id = (0 ..< spec.items).map { Float(($0 * 104_729 + spec.seed * 17 + q.history.count * 7) % 1000) / 100 }
        return (text, id)
    }

    /// The latch a query waits on inside a forward: with a gate, each request (named by
    /// the first item of its history) has its own, `"<gate>/i<first item>"`, so a test
    /// can release requests one at a time; the gate itself opens them all.
    static func latch(gate: String, for q: RecommendationRequest) -> String { "\(gate)/i\(q.history.first ?? -1)" }

    func recommend(_ batch: [RecommendationRequest]) throws -> [Recommendation] {
        batchSizes.withLock { $0.append(batch.count) }
        seen.withLock { $0.append(contentsOf: batch.map(\.history)) }
        if let gate = spec.gate {
            for q in batch { Latch.waitEither(Latch.named(gate), Latch.named(Self.latch(gate: gate, for: q))) }
        }
        if spec.delayMs > 0 { usleep(UInt32(spec.delayMs * 1000)) }
        return try batch.map { q in
            let (text, id) = scores(q)
            let method = q.fusion ?? defaultFusion, alpha = q.alpha ?? defaultAlpha
            let fused = try Fusion.fuse(text: text, id: id, method: method, parameters: FusionParameters(alpha: alpha))
            let top = TopK.select(fused.final, k: q.k, excluding: q.excludeHistory ? q.exclude.union(q.history) : q.exclude)
            let items = top.map {
                RecommendedItem(index: $0.index, score: $0.score, textScore: q.explain ? text[$0.index] : nil,
                                idBoost: q.explain ? fused.idBoost[$0.index] : nil)
            }
            return Recommendation(items: items, fusion: method, alpha: alpha, usedHistory: q.history,
                                  timing: RecommendationTiming(textPass: 1, idPass: 2, fusion: 0.1, total: 3.1))
        }
    }

    func warmUp() throws {}
}

struct TestLoader: EngineLoader {
    func load(directory: String, replacing current: (any RecommendationEngine)?) throws -> any RecommendationEngine {
        let path = directory + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path), let json = try? JSONValue.parse(Array(data)),
              case .string(let text)? = json["text"], case .string(let id)? = json["id"],
              let items = json["items"]?.intValue, let seed = json["seed"]?.intValue
        else { throw TestLoaderError.badManifest(path) }
        var spec = TestSpec(text: text, id: id, items: items, seed: seed)
        if case .string(let f)? = json["fail"] { spec.fail = f }
        if let d = json["delay_ms"]?.intValue { spec.delayMs = d }
        if let p = json["payload_mb"]?.intValue { spec.payloadMB = p }
        if case .string(let g)? = json["gate"] { spec.gate = g }
        if let fail = spec.fail { throw TestLoaderError.requested(fail) }
        if let current, current.catalog.count != spec.items {
            throw TestLoaderError.itemCountMismatch(spec.items, current.catalog.count)
        }
        return TestEngine(spec: spec)
    }
}

/// A temporary adapter root with bundle directories in it.
final class TestRoot: Sendable {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("hdrec-svc-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    @discardableResult
    func bundle(_ name: String, _ spec: TestSpec) -> String {
        let dir = path + "/" + name
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir + "/manifest.json", contents: Data(spec.json.utf8))
        return dir
    }
}

func makeService(root: TestRoot, spec: TestSpec = TestSpec(), admin: Bool = true, apiKeys: [String]? = nil,
                 configure: (inout ServiceConfig) -> Void = { _ in }, load: Bool = true) throws -> RecommendationService {
    let artifacts = root.bundle("v1", spec)
    var config = ServiceConfig(artifacts: artifacts, adapterRoot: root.path)
    config.adminTokens = admin ? KeySet(keys: ["s3cret"]) : nil
    config.apiKeys = apiKeys.map { KeySet(keys: $0) }
    config.batchWindow = 0
    configure(&config)
    let service = RecommendationService(config: config, loader: TestLoader(), logger: quietLogger())
    if load { try service.registry.loadInitial(directory: artifacts) }
    return service
}

func quietLogger(_ sink: (@Sendable (String) -> Void)? = nil) -> Logger {
    Logger(label: "test") { JSONLineLogHandler(label: $0, sink: sink ?? { _ in }) }
}

extension RecommendationService {
    func call(_ method: HTTPMethod, _ target: String, json: String? = nil, headers: [(String, String)] = []) async -> HTTPResponse {
        var h = HTTPHeaders(headers)
        if json != nil { h.add("Content-Type", "application/json") }
        let req = HTTPRequest(method: method, target: target, headers: h, body: Array((json ?? "").utf8))
        return await responder.respond(to: req, context: RequestContext(remoteAddress: "test"))
    }
}

extension HTTPResponse {
    var json: JSONValue { (try? JSONValue.parse(body)) ?? .null }
}

let admin = [("Authorization", "Bearer s3cret")]

/// A lock-protected value shared by reference between tasks.
final class Shared<T: Sendable>: Sendable {
    private let m: Mutex<T>
    init(_ v: T) { m = Mutex(v) }
    func withLock<R: Sendable>(_ body: (inout T) -> R) -> R { m.withLock { body(&$0) } }
}

/// Polls `condition` every 5 ms for up to `seconds` (timing-independent waits under load).
func waitUntil(seconds: Double = 5, _ condition: @Sendable () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() && Date() < deadline { try await Task.sleep(nanoseconds: 5_000_000) }
}

/// A gate that blocks until opened, then stays open. Named latches let a test hold the
/// engine inside a forward for exactly as long as it needs, whatever the scheduling.
final class Latch: Sendable {
    private let isOpen = Mutex(false)
    private let sema = DispatchSemaphore(value: 0)
    private static let all = Mutex<[String: Latch]>([:])

    static func named(_ name: String) -> Latch {
        all.withLock { t in
            if let l = t[name] { return l }
            let l = Latch()
            t[name] = l
            return l
        }
    }

    var opened: Bool { isOpen.withLock { $0 } }

    func wait() {
        if opened { return }
        sema.wait()
        sema.signal()  // let the next waiter through too
    }

    /// Blocks until `a` or `b` is open.
    static func waitEither(_ a: Latch, _ b: Latch) {
        while !a.opened && !b.opened { usleep(1000) }
    }

    func open() {
        let was = isOpen.withLock { v -> Bool in defer { v = true }; return v }
        if !was { sema.signal() }
    }
}
