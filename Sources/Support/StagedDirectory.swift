// Publishing a directory whole (`hdrec export`): its files are written into a temporary
// sibling `.<name>.tmp-<pid>` (the same file system, so renames are atomic), synced, and
// only then renamed onto the destination. An existing destination is exchanged with the
// new one in a single renameat2(RENAME_EXCHANGE) and the old one removed afterwards, so a
// kill -9 at any moment leaves the destination holding the old directory or the new one,
// each complete. Where the file system cannot exchange (EINVAL), the old one is renamed
// aside to `.<name>.old-<pid>` first; a kill between that and the second rename leaves no
// destination and the old copy beside it, which the next publish puts back.
// A kill also leaves the temporary sibling (and, after an exchange, the old directory
// under the temporary name): the next publish to the same destination removes every
// `.tmp-`/`.old-` sibling whose process is gone, before it starts.
import Foundation

public struct StagedDirectory: Sendable {
    /// Where the directory is published.
    public let destination: String
    /// The temporary sibling the files are written into.
    public let staging: String
    let replace: Bool

    /// Publishes what `body` writes into the staging directory (its argument) at
    /// `destination`. When `body` or the publish fails, the staging directory is removed
    /// and the destination is as it was.
    /// - Parameter replace: replace a non-empty destination (`--force`); else it is refused.
    public static func publish<T>(to destination: String, replace: Bool, _ body: (String) throws -> T) throws -> T {
        let staged = try begin(destination, replace: replace)
        do {
            let result = try body(staged.staging)
            try staged.commit()
            return result
        } catch {
            staged.discard()
            throw error
        }
    }

    /// Cleans up after killed earlier runs, refuses a non-empty destination unless
    /// `replace`, and creates an empty staging directory.
    public static func begin(_ destination: String, replace: Bool) throws -> StagedDirectory {
        let trimmed = destination.count > 1 && destination.hasSuffix("/") ? String(destination.dropLast()) : destination
        let parent = (trimmed as NSString).deletingLastPathComponent
        let name = (trimmed as NSString).lastPathComponent
        let dir = parent.isEmpty ? "." : parent
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try recoverStale(parent: dir, name: name, destination: trimmed)
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: trimmed, isDirectory: &isDir) {
            guard isDir.boolValue else { throw SupportError.notADirectory(path: trimmed) }
            let entries = (try? fm.contentsOfDirectory(atPath: trimmed)) ?? []
            if !entries.isEmpty, !replace { throw SupportError.destinationNotEmpty(path: trimmed, entries: entries.count) }
        }
        let staging = dir + "/.\(name).tmp-\(getpid())"
        try? fm.removeItem(atPath: staging)
        try fm.createDirectory(atPath: staging, withIntermediateDirectories: false)
        return StagedDirectory(destination: trimmed, staging: staging, replace: replace)
    }

    /// Syncs the staging directory and puts it in place of the destination.
    public func commit() throws {
        try Self.syncTree(staging)
        let fm = FileManager.default
        let parent = (destination as NSString).deletingLastPathComponent
        let dir = parent.isEmpty ? "." : parent
        var isDir: ObjCBool = false
        let exists = fm.fileExists(atPath: destination, isDirectory: &isDir)
        let empty = exists && ((try? fm.contentsOfDirectory(atPath: destination))?.isEmpty ?? false)
        if !exists || empty {
            // rename(2) replaces an empty directory in one step.
            guard rename(staging, destination) == 0 else {
                throw SupportError.publishFailed(step: "rename \(staging) to \(destination)", errno: errno)
            }
        } else {
            guard replace else { throw SupportError.destinationNotEmpty(path: destination, entries: 1) }
            let old: String
            if Self.exchange(staging, destination) {
                old = staging   // the old directory now lies under the temporary name
            } else {
                old = dir + "/.\((destination as NSString).lastPathComponent).old-\(getpid())"
                try? fm.removeItem(atPath: old)
                guard rename(destination, old) == 0 else {
                    throw SupportError.publishFailed(step: "rename \(destination) aside to \(old)", errno: errno)
                }
                guard rename(staging, destination) == 0 else {
                    let e = errno
                    _ = rename(old, destination)
                    throw SupportError.publishFailed(step: "rename \(staging) to \(destination)", errno: e)
                }
            }
            try Self.syncDirectory(dir)
            try? fm.removeItem(atPath: old)
        }
        try Self.syncDirectory(dir)
    }

    /// Removes the staging directory (after a failure).
    public func discard() {
        try? FileManager.default.removeItem(atPath: staging)
    }

    // MARK: - Recovery after a kill

    /// Siblings `.<name>.tmp-<pid>` / `.<name>.old-<pid>` whose process is gone: removed,
    /// except that an `.old-` one is renamed back when the destination is missing (a kill
    /// between the two renames of the fallback path).
    static func recoverStale(parent: String, name: String, destination: String) throws {
        let fm = FileManager.default
        let entries = (try? fm.contentsOfDirectory(atPath: parent)) ?? []
        for entry in entries.sorted() {
            guard let (kind, pid) = staleSibling(entry, of: name), !isRunning(pid) || pid == getpid() else { continue }
            let path = parent + "/" + entry
            if kind == "old", !fm.fileExists(atPath: destination), rename(path, destination) == 0 { continue }
            try? fm.removeItem(atPath: path)
        }
    }

    /// ("tmp" or "old", pid) when `entry` is one of this destination's temporary siblings.
    static func staleSibling(_ entry: String, of name: String) -> (String, pid_t)? {
        for kind in ["tmp", "old"] {
            let prefix = ".\(name).\(kind)-"
            if entry.hasPrefix(prefix), let pid = pid_t(entry.dropFirst(prefix.count)), pid > 0 { return (kind, pid) }
        }
        return nil
    }

    static func isRunning(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    // MARK: - System calls

    typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32

    /// renameat2(RENAME_EXCHANGE), looked up at run time (Glibc's Swift overlay does not
    /// declare it); false when it is missing or the file system refuses it.
    static func exchange(_ a: String, _ b: String) -> Bool {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        let renameExchange: UInt32 = 2   // linux/fs.h RENAME_EXCHANGE
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }

    /// fsync of every file and directory under `root` (files written through AtomicFile
    /// are synced already; directories' entries are not, and a copy might not be).
    static func syncTree(_ root: String) throws {
        let fm = FileManager.default
        for relative in (try? fm.subpathsOfDirectory(atPath: root)) ?? [] {
            try sync(root + "/" + relative, directory: false)
        }
        try syncDirectory(root)
    }

    static func syncDirectory(_ path: String) throws { try sync(path, directory: true) }

    private static func sync(_ path: String, directory: Bool) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0))
        guard fd >= 0 else { throw SupportError.publishFailed(step: "open \(path) to sync it", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw SupportError.publishFailed(step: "fsync \(path)", errno: errno) }
    }
}
