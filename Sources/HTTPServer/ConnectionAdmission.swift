// Who may open a connection: the server-wide cap (`maxConnections`) and an optional
// per-client-address cap, counted across every event loop. At the server-wide cap the
// accepting loop closes its longest-idle keep-alive connection (EventLoop); when it has
// none it hands the new client to the next loop, which does the same; the client is
// refused only when no loop has an idle connection.
import Synchronization

final class ConnectionAdmission: Sendable {
    enum Verdict: Equatable {
        case admitted
        case overCapacity
        case overAddressLimit
    }

    private struct State {
        var open = 0
        var perAddress: [String: Int] = [:]
        var rejected = 0
        var evicted = 0
    }

    let maxConnections: Int
    let maxPerAddress: Int?
    private let state = Mutex(State())

    init(maxConnections: Int, maxPerAddress: Int?) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
    }

    /// Counts the connection in when there is room for it.
    func admit(address: String) -> Verdict {
        state.withLock { s in
            guard s.open < maxConnections else { return .overCapacity }
            if let limit = maxPerAddress {
                guard s.perAddress[address, default: 0] < limit else { return .overAddressLimit }
                s.perAddress[address, default: 0] += 1
            }
            s.open += 1
            return .admitted
        }
    }

    func release(address: String) {
        state.withLock { s in
            s.open -= 1
            guard maxPerAddress != nil, let n = s.perAddress[address] else { return }
            s.perAddress[address] = n > 1 ? n - 1 : nil
        }
    }

    func noteRejection() { state.withLock { $0.rejected += 1 } }
    func noteEviction() { state.withLock { $0.evicted += 1 } }

    var open: Int { state.withLock { $0.open } }
    var rejected: Int { state.withLock { $0.rejected } }
    var evicted: Int { state.withLock { $0.evicted } }
}
