// Keeping a bundle load inside a root directory (hdrec-server's --adapter-root).
// A bundle put there for PUT /adapters is content from whoever can write the root,
// so a symbolic link inside it (adapters/ -> /elsewhere, catalog.jsonl -> /etc/passwd)
// must not make the server open a file outside it. Every path a contained bundle load
// opens goes through `resolve`, which follows links as open(2) would (realpath) and
// refuses a result outside the root; links that stay inside the root are fine.
// Resolving and opening are separate system calls, so someone rewriting links inside
// the root *while* a load runs could race the check: the root's writers are trusted
// not to do that. What this stops is a bundle whose layout leads out of the root.
import Foundation

public struct BundleContainment: Sendable, Equatable {
    /// The root with every symbolic link in it resolved.
    public let root: String

    /// - Throws: `HDRecInferenceError.missingFile` when the root does not exist.
    public init(root: String) throws {
        guard let resolved = Self.realPath(root) else { throw HDRecInferenceError.missingFile(path: root) }
        self.root = resolved
    }

    /// `path` with its links resolved, when that lies under the root.
    /// A path that does not exist yet is returned as given, so the loader reports it
    /// missing as it would without containment, once its deepest existing ancestor has
    /// been checked (a dangling link cannot be opened, so it cannot leak a file).
    /// - Throws: `HDRecInferenceError.outsideRoot` naming the path, where it resolves,
    ///   and the link on the way that leads out.
    public func resolve(_ path: String) throws -> String {
        var probe = path
        var resolved = Self.realPath(probe)
        while resolved == nil {
            let parent = (probe as NSString).deletingLastPathComponent
            if parent == probe || parent.isEmpty { return path }
            probe = parent
            resolved = Self.realPath(probe)
        }
        guard let found = resolved else { return path }
        guard Self.isUnder(found, root) else {
            let link = escapingLink(path)
            throw HDRecInferenceError.outsideRoot(path: path, resolved: found, link: link?.path, linkTarget: link?.target, root: root)
        }
        return probe == path ? found : path
    }

    /// The first symbolic link along `path` that itself resolves outside the root (the
    /// one to blame in the error), with what it points to as written; nil when the path
    /// leaves the root some other way (`..` past the root, or the path starts outside).
    func escapingLink(_ path: String) -> (path: String, target: String)? {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var prefix = ""
        for component in absolute.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + component
            var info = stat()
            guard lstat(prefix, &info) == 0 else { return nil }
            guard info.st_mode & S_IFMT == S_IFLNK else { continue }
            // Links above the root (/tmp -> /private/tmp) are how the root itself is reached.
            guard let parent = Self.realPath((prefix as NSString).deletingLastPathComponent), Self.isUnder(parent, root),
                  let resolved = Self.realPath(prefix), !Self.isUnder(resolved, root) else { continue }
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: prefix)) ?? resolved
            return (prefix, target)
        }
        return nil
    }

    static func isUnder(_ path: String, _ root: String) -> Bool {
        root == "/" || path == root || path.hasPrefix(root + "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
