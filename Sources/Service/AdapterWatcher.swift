// `--watch DIR`: polls a directory (typically a `current` symlink on a shared volume
// that operators flip) and applies each new version through the same validation as
// PUT /adapters, so every replica converges without being called one by one. A version
// is identified by the resolved path plus the bytes of its manifest.json; a version
// that failed validation is not retried until it changes. Each version's files must lie
// under the directory that holds the versions (BundleContainment; docs/service.md).
import Foundation
import Logging
import HDRecInference
import Synchronization

public final class AdapterWatcher: Sendable {
    private let directory: String
    private let interval: Double
    private let registry: EngineRegistry
    private let logger: Logger
    private let state = Mutex<(lastSeen: String?, stopped: Bool)>((nil, false))

    /// `initial` is the fingerprint of what is already serving (skips a redundant first swap).
    public init(directory: String, interval: Double, registry: EngineRegistry, logger: Logger, servingDirectory: String?) {
        self.directory = directory
        self.interval = max(0.05, interval)
        self.registry = registry
        self.logger = logger
        if let serving = servingDirectory, let fp = AdapterWatcher.fingerprint(serving),
           let watched = AdapterWatcher.fingerprint(directory), fp == watched {
            state.withLock { $0.lastSeen = fp }
        }
    }

    public func start() {
        let thread = Thread { [self] in
            while !state.withLock({ $0.stopped }) {
                pollOnce()
                usleep(UInt32(interval * 1e6))
            }
        }
        thread.name = "adapter-watch"
        thread.start()
    }

    public func stop() { state.withLock { $0.stopped = true } }

    /// Checks the directory once and applies a new version if there is one (blocking).
    public func pollOnce() {
        guard let fp = AdapterWatcher.fingerprint(directory), fp != state.withLock({ $0.lastSeen }) else { return }
        state.withLock { $0.lastSeen = fp }
        guard let resolved = AdapterPaths.realPath(directory) else { return }
        let done = DispatchSemaphore(value: 0)
        let registry = registry, logger = logger
        Task {
            do {
                // A version's files may be shared with its siblings on the volume, not
                // taken from elsewhere: contained to the directory that holds the versions.
                let volume = try BundleContainment(root: (resolved as NSString).deletingLastPathComponent)
                let r = try await registry.apply(directory: resolved, containment: volume)
                logger.info("watch: adapters swapped", metadata: ["path": "\(resolved)", "text": "\(r.current.text)", "id": "\(r.current.id)"])
            } catch {
                logger.warning("watch: new version rejected", metadata: ["path": "\(resolved)", "error": "\(error)"])
            }
            done.signal()
        }
        done.wait()
    }

    /// Resolved path + manifest.json contents, or nil when there is no manifest yet
    /// (a half-copied directory is not applied).
    static func fingerprint(_ directory: String) -> String? {
        guard let resolved = AdapterPaths.realPath(directory),
              let manifest = FileManager.default.contents(atPath: resolved + "/manifest.json") else { return nil }
        return resolved + "\n" + String(decoding: manifest, as: UTF8.self)
    }
}
