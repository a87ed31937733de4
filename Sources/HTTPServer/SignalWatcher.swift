// Process signals as ordinary callbacks: SIGTERM/SIGINT for graceful shutdown and
// SIGHUP for reload. Uses the self-pipe trick: the async-signal-safe C handler only
// writes the signal number to a pipe, and a reader thread calls the Swift handlers.
// (Dispatch signal sources need the signal blocked in every thread on Linux, which a
// library cannot arrange after threads exist; SIG_IGN would make the kernel drop it.)
// Registering also unblocks the signals in the calling thread: a process inherits its
// parent's signal mask, and one spawned from a Dispatch or Swift-concurrency worker
// thread (which block signals) would otherwise keep SIGTERM pending forever.
import Foundation
import Synchronization

public final class SignalWatcher: Sendable {
    private let id: Int

    /// Calls `handler(signal)` on a background thread for each listed signal, until `cancel()`.
    public init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        id = SignalHub.shared.register(signals: signals, handler: handler)
    }

    public func cancel() { SignalHub.shared.unregister(id) }
}

/// The write end of the signal pipe, read by the C handler (no Swift runtime calls there).
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

private func signalHandler(_ sig: Int32) {
    var byte = UInt8(truncatingIfNeeded: sig)
    _ = write(signalPipeWriteFD, &byte, 1)
}

private final class SignalHub: Sendable {
    static let shared = SignalHub()

    private struct Entry { let signals: [Int32]; let handler: @Sendable (Int32) -> Void }
    private let table = Mutex<(next: Int, entries: [Int: Entry], installed: Set<Int32>)>((0, [:], []))

    private init() {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        signalPipeWriteFD = fds[1]
        let readFD = fds[0]
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while true {
                let n = read(readFD, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                guard n == 1 else { return }
                let sig = Int32(byte)
                let handlers = table.withLock { t in t.entries.values.filter { $0.signals.contains(sig) }.map(\.handler) }
                for h in handlers { h(sig) }
            }
        }
        thread.name = "signals"
        thread.start()
    }

    func register(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) -> Int {
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in signals { sigaddset(&unblock, sig) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        return table.withLock { t in
            t.next += 1
            t.entries[t.next] = Entry(signals: signals, handler: handler)
            for sig in signals where !t.installed.contains(sig) {
                var action = sigaction()
                action.__sigaction_handler.sa_handler = signalHandler
                action.sa_flags = SA_RESTART
                sigemptyset(&action.sa_mask)
                sigaction(sig, &action, nil)
                t.installed.insert(sig)
            }
            return t.next
        }
    }

    /// Removes a watcher; signals nobody watches any more get their default action back.
    func unregister(_ id: Int) {
        table.withLock { t in
            guard let entry = t.entries.removeValue(forKey: id) else { return }
            for sig in entry.signals where !t.entries.values.contains(where: { $0.signals.contains(sig) }) {
                signal(sig, SIG_DFL)
                t.installed.remove(sig)
            }
        }
    }
}
