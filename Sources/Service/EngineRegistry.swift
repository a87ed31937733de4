// The serving engine and its hot-swap. A swap loads and validates the new bundle on a
// dedicated serial queue (off the request path, one swap at a time), then replaces one
// reference under a lock: requests that already took the old engine finish on it, new
// ones get the new one, and the old engine is freed by ARC when its last request drops
// it. The registry keeps only the *paths* of earlier pairs, not their memory, so a
// rollback reloads (and re-validates) the previous directory. Failures leave the
// current pair serving, as a model server's reload does (Triton's model control: a failed
// load keeps the loaded version, and unloading waits for requests in flight).
// A directory applied under a containment (PUT /adapters: --adapter-root) keeps it for
// its rollback and SIGHUP reloads, so no later path re-reads it unchecked.
// Each engine is installed with its title index (CatalogSearch, for GET /items), built
// before the swap like the rest of the engine, so no request pays for it.
import Dispatch
import Foundation
import HDRecInference
import Synchronization

public struct SwapResult: Sendable, Equatable {
    public var current: AdapterVersions
    public var previous: AdapterVersions?
    public var directory: String
}

public final class EngineRegistry: Sendable {
    private let loader: any EngineLoader
    private let metrics: ServiceMetrics?
    private let swapQueue = DispatchQueue(label: "adapter-swap")

    private struct Applied: Sendable { let directory: String; let versions: AdapterVersions; let containment: BundleContainment? }
    private struct State {
        var engine: (any RecommendationEngine)?
        var search: CatalogSearch?
        var history: [Applied] = []     // applied directories, oldest first; last = current
        var swapping = false
    }
    private let state = Mutex(State())

    public init(loader: any EngineLoader, metrics: ServiceMetrics? = nil) {
        self.loader = loader
        self.metrics = metrics
    }

    /// The engine new requests should use (nil until the first load succeeds).
    public var current: (any RecommendationEngine)? { state.withLock { $0.engine } }

    /// The current engine with the title index of its catalog, read together so the two agree.
    public var currentWithSearch: (engine: any RecommendationEngine, search: CatalogSearch)? {
        state.withLock { s in s.engine.flatMap { e in s.search.map { (e, $0) } } }
    }

    /// The directory last applied (SIGHUP re-reads it).
    public var currentDirectory: String? { state.withLock { $0.history.last?.directory } }

    /// Applied directories and versions, oldest first.
    public var history: [(directory: String, versions: AdapterVersions)] {
        state.withLock { $0.history.map { ($0.directory, $0.versions) } }
    }

    /// Loads the initial bundle and warms it up (blocking; used at startup).
    public func loadInitial(directory: String) throws {
        let engine = try loader.load(directory: directory, replacing: nil)
        try engine.warmUp()
        install(engine, search: CatalogSearch(catalog: engine.catalog), directory: directory, pushHistory: true)
    }

    /// Loads `directory` off the request path, validates it against the running engine,
    /// and swaps atomically. Throws the loader's error (the old pair keeps serving).
    /// - Parameter containment: where the bundle's files must lie; nil re-uses the one
    ///   `directory` was last applied under (a SIGHUP reload), if any.
    public func apply(directory: String, containment: BundleContainment? = nil) async throws -> SwapResult {
        let effective = containment ?? state.withLock { $0.history.last(where: { $0.directory == directory })?.containment }
        return try await swap(directory: directory, rollback: false, containment: effective)
    }

    /// Reloads the previous directory and makes it current again.
    public func rollback() async throws -> SwapResult {
        guard let previous = state.withLock({ $0.history.count >= 2 ? $0.history[$0.history.count - 2] : nil }) else {
            throw ServiceError.noPreviousAdapters
        }
        return try await swap(directory: previous.directory, rollback: true, containment: previous.containment)
    }

    private func swap(directory: String, rollback: Bool, containment: BundleContainment?) async throws -> SwapResult {
        let acquired = state.withLock { s -> Bool in
            if s.swapping { return false }
            s.swapping = true
            return true
        }
        guard acquired else { throw ServiceError.swapInProgress }
        defer { state.withLock { $0.swapping = false } }
        let (old, oldSearch) = state.withLock { ($0.engine, $0.search) }
        let loaded: any RecommendationEngine
        let search: CatalogSearch
        do {
            (loaded, search) = try await withCheckedThrowingContinuation {
                (c: CheckedContinuation<(any RecommendationEngine, CatalogSearch), any Error>) in
                swapQueue.async { [loader] in
                    do {
                        let engine = try loader.load(directory: directory, replacing: old, containment: containment)
                        try engine.warmUp()
                        // Swaps usually keep the catalog; then the index is kept too.
                        let reuse = oldSearch.flatMap { s in old.map { $0.catalog == engine.catalog } == true ? s : nil }
                        c.resume(returning: (engine, reuse ?? CatalogSearch(catalog: engine.catalog)))
                    } catch {
                        c.resume(throwing: error)
                    }
                }
            }
        } catch {
            metrics?.adapterSwaps.increment(["failed"])
            ProcessMemory.trimSoon()
            throw error
        }
        let previous = old?.versions
        if rollback {
            state.withLock { _ = $0.history.popLast() }
            install(loaded, search: search, directory: directory, pushHistory: false, containment: containment)
        } else {
            install(loaded, search: search, directory: directory, pushHistory: true, containment: containment)
        }
        metrics?.adapterSwaps.increment(["ok"])
        ProcessMemory.trimSoon()
        return SwapResult(current: loaded.versions, previous: previous, directory: directory)
    }

    private func install(_ engine: any RecommendationEngine, search: CatalogSearch, directory: String, pushHistory: Bool,
                         containment: BundleContainment? = nil) {
        state.withLock { s in
            s.engine = engine
            s.search = search
            let applied = Applied(directory: directory, versions: engine.versions, containment: containment)
            if pushHistory {
                s.history.append(applied)
                if s.history.count > 16 { s.history.removeFirst(s.history.count - 16) }
            } else if let last = s.history.indices.last {
                s.history[last] = applied
            }
        }
        metrics?.adapterInfo.replaceAll(with: [engine.versions.text, engine.versions.id], value: 1)
    }
}
