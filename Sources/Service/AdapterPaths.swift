// Where an admin may point PUT /adapters: only inside --adapter-root, checked both
// lexically and after resolving symlinks (a link inside the root must not lead out).
import Foundation

enum AdapterPaths {
    enum Verdict: Equatable {
        case ok(String)
        case outsideRoot
        case missing(String)
    }

    /// Resolves `path` (relative paths are relative to `root`) and checks it lies under `root`.
    static func check(_ path: String, root: String) -> Verdict {
        let rootResolved = realPath(root) ?? (root as NSString).standardizingPath
        let joined = path.hasPrefix("/") ? path : root + "/" + path
        let lexical = (joined as NSString).standardizingPath
        guard isUnder(lexical, rootResolved) || isUnder(lexical, (root as NSString).standardizingPath) else { return .outsideRoot }
        guard let resolved = realPath(lexical) else { return .missing(lexical) }
        guard isUnder(resolved, rootResolved) else { return .outsideRoot }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isDir), isDir.boolValue else { return .missing(resolved) }
        return .ok(resolved)
    }

    static func isUnder(_ path: String, _ root: String) -> Bool {
        let r = root.hasSuffix("/") ? String(root.dropLast()) : root
        return path == r || path.hasPrefix(r + "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
