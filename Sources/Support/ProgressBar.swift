// A terminal progress bar with rate and ETA for long loops (training epochs,
// evaluation passes). On a TTY it redraws one line on stderr; when stderr is a
// file or pipe (CI, background runs logging to a file) it stays quiet except
// for a plain line every `logInterval` seconds and one at the end, so logs
// stay readable.
import Foundation

/// A thread-safe progress bar on stderr.
public final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let label: String
    private var total: Int
    private var done = 0
    private var status = ""
    private let start: Date
    private var lastDraw = Date.distantPast
    private var lastLog: Date
    private let isTTY: Bool
    private let logInterval: TimeInterval
    private var finished = false
    private let enabled: Bool

    /// - Parameters:
    ///   - label: shown before the bar, e.g. "epoch 3".
    ///   - total: number of steps expected.
    ///   - logInterval: seconds between plain log lines when stderr is not a terminal.
    ///   - enabled: false silences the bar entirely (tests, quiet mode).
    public init(label: String, total: Int, logInterval: TimeInterval = 30, enabled: Bool = true) {
        self.label = label
        self.total = max(total, 0)
        self.start = Date()
        self.lastLog = start
        self.isTTY = isatty(STDERR_FILENO) == 1
        self.logInterval = logInterval
        self.enabled = enabled
    }

    /// Advances by `steps` and optionally replaces the status text (e.g. "loss 7.91").
    public func advance(by steps: Int = 1, status: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        done = min(total, done + steps)
        if let status { self.status = status }
        let now = Date()
        if isTTY {
            if now.timeIntervalSince(lastDraw) >= 0.1 || done == total {
                lastDraw = now
                draw(now: now)
            }
        } else if now.timeIntervalSince(lastLog) >= logInterval {
            lastLog = now
            emit(line(now: now, width: 0) + "\n")
        }
    }

    /// Replaces the status text without advancing.
    public func setStatus(_ text: String) { advance(by: 0, status: text) }

    /// Completes the bar and prints a final line with the elapsed time.
    public func finish(status: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        done = total
        if let status { self.status = status }
        let now = Date()
        emit((isTTY ? "\r\u{1B}[2K" : "") + line(now: now, width: 30) + "\n")
    }

    /// Seconds since the bar was created.
    public var elapsed: TimeInterval { Date().timeIntervalSince(start) }

    /// Formats seconds as `1h02m`, `3m05s` or `4.2s`.
    public static func formatDuration(_ seconds: TimeInterval) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let s = Int(seconds.rounded())
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    private func draw(now: Date) {
        emit("\r\u{1B}[2K" + line(now: now, width: 30))
    }

    private func line(now: Date, width: Int) -> String {
        let elapsed = now.timeIntervalSince(start)
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        var text = label
        if width > 0 {
            let filled = Int(fraction * Double(width))
            text += " [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        }
        text += " \(done)/\(total)"
        if done > 0 && done < total {
            let eta = elapsed / Double(done) * Double(total - done)
            text += " " + String(format: "%.1f/s", Double(done) / max(elapsed, 1e-9)) + " ETA " + ProgressBar.formatDuration(eta)
        } else if done == total {
            text += " in " + ProgressBar.formatDuration(elapsed)
        }
        if !status.isEmpty { text += "  " + status }
        return text
    }

    private func emit(_ text: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
