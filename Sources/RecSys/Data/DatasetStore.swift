// The canonical dataset directory written by `hdrec prepare` and read by every
// model (format "hdrec-dataset", version 1; documented in docs/recsys.md):
//   dataset.json    manifest: name, source format, source files with SHA-256,
//                   filter options, text cleaning, Table 1 statistics, skip counts
//   items.jsonl     line i = item index i: {"id", "title", "brand", "categories", "description"}
//   users.jsonl     line u = user u: {"user", "train": [item ids], "valid": id, "test": id}
// Item ids are the source's external ids, as strings. The directory is built
// under a temporary name beside the destination and renamed into place, so a
// half-written dataset never exists under the final name; only a missing path,
// an empty directory or an earlier dataset is ever replaced.
import Foundation
import Support

/// Provenance recorded in `dataset.json`.
public struct DatasetManifest: Sendable {
    public var sourceFormat: String
    public var sources: [SourceFile]
    public var options: PrepareOptions
    public var kcoreRounds: Int
    public var skipped: SkipLog
    public var dropped: SkipLog
    public init(sourceFormat: String, sources: [SourceFile], options: PrepareOptions, kcoreRounds: Int,
                skipped: SkipLog = SkipLog(), dropped: SkipLog = SkipLog()) {
        self.sourceFormat = sourceFormat
        self.sources = sources
        self.options = options
        self.kcoreRounds = kcoreRounds
        self.skipped = skipped
        self.dropped = dropped
    }
}

public enum DatasetStore {
    public static let formatName = "hdrec-dataset"
    public static let formatVersion = 1

    /// The files a dataset directory holds; a directory holding anything else is never replaced.
    public static let fileNames: Set<String> = ["dataset.json", "items.jsonl", "users.jsonl"]

    /// Writes `dataset` to `directory` via a temporary directory and rename.
    ///
    /// Only a missing path, an empty directory or an earlier dataset directory (a
    /// `dataset.json` whose `format` is `hdrec-dataset`, and no files but the dataset's
    /// own) is replaced; anything else there is refused with `RecSysError.wontReplace`,
    /// before any file is written, so `--out` can never delete someone's files. On any
    /// failure the previous dataset stays in place. Temporary siblings left by a killed
    /// run (`.NAME.tmp-PID-N`, `.NAME.old-PID-N` whose process is gone) are removed.
    public static func write(_ dataset: Dataset, manifest: DatasetManifest, to directory: String) throws {
        let fm = FileManager.default
        let parent = (directory as NSString).deletingLastPathComponent
        let base = (directory as NSString).lastPathComponent
        let parentDir = parent.isEmpty ? "." : parent
        let existing = try checkReplaceable(directory)
        do { try fm.createDirectory(atPath: parentDir, withIntermediateDirectories: true) } catch {
            throw RecSysError.cannotRead(path: parentDir, message: "cannot create directory: \(error.localizedDescription)")
        }
        removeStaleSiblings(of: base, in: parentDir)
        let tmp = parentDir + "/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: false)
            try AtomicFile.write(itemsText(dataset), to: tmp + "/items.jsonl")
            try AtomicFile.write(usersText(dataset), to: tmp + "/users.jsonl")
            try AtomicFile.write(manifestText(dataset, manifest), to: tmp + "/dataset.json")
            // rename(2) replaces an empty directory atomically; a non-empty one (an earlier
            // dataset) is moved aside first and removed once the new one is in place.
            var old: String?
            if existing == .dataset {
                old = parentDir + "/.\(base).old-\(getpid())-\(UInt32.random(in: 0 ... .max))"
                try fm.moveItem(atPath: directory, toPath: old!)
            }
            guard rename(tmp, directory) == 0 else {
                let e = errno
                if let old { try? fm.moveItem(atPath: old, toPath: directory) }
                throw RecSysError.cannotRead(path: directory, message: "rename failed: \(String(cString: strerror(e)))")
            }
            if let old { try? fm.removeItem(atPath: old) }
        } catch {
            try? fm.removeItem(atPath: tmp)
            if let e = error as? RecSysError { throw e }
            throw RecSysError.cannotRead(path: directory, message: "writing the dataset failed: \(error)")
        }
    }

    /// What `write` found at its destination.
    enum Destination { case missing, emptyDirectory, dataset }

    /// Classifies the destination, throwing `wontReplace` for anything `write` must not delete.
    static func checkReplaceable(_ directory: String) throws -> Destination {
        var st = stat()
        guard lstat(directory, &st) == 0 else {
            if errno == ENOENT { return .missing }
            throw RecSysError.cannotRead(path: directory, message: String(cString: strerror(errno)))
        }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            let kind = st.st_mode & S_IFMT == S_IFLNK ? "a symbolic link" : st.st_mode & S_IFMT == S_IFREG ? "a file" : "not a directory"
            throw RecSysError.wontReplace(path: directory, found: kind)
        }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw RecSysError.cannotRead(path: directory, message: "\(error.localizedDescription)")
        }
        if entries.isEmpty { return .emptyDirectory }
        let manifestPath = directory + "/dataset.json"
        guard let data = FileManager.default.contents(atPath: manifestPath),
              let manifest = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              manifest["format"] as? String == formatName else {
            let shown = entries.sorted().prefix(3).joined(separator: ", ") + (entries.count > 3 ? ", ..." : "")
            throw RecSysError.wontReplace(path: directory, found: "a directory without an \(formatName) manifest (it holds \(shown))")
        }
        let foreign = entries.filter { !fileNames.contains($0) }.sorted()
        guard foreign.isEmpty else {
            throw RecSysError.wontReplace(path: directory, found: "a dataset directory that also holds \(foreign.prefix(3).joined(separator: ", "))")
        }
        return .dataset
    }

    /// Removes `.BASE.tmp-PID-N` and `.BASE.old-PID-N` directories in `parent` whose process
    /// no longer exists (a killed `prepare`); those of a live process may be in use and stay.
    static func removeStaleSiblings(of base: String, in parent: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for name in names {
            guard let pid = temporaryOwner(name, base: base), pid != getpid() else { continue }
            if kill(pid, 0) == 0 || errno != ESRCH { continue }
            try? FileManager.default.removeItem(atPath: parent + "/" + name)
        }
    }

    /// The process id in a temporary sibling's name `.BASE.tmp-PID-N` / `.BASE.old-PID-N`, or nil.
    static func temporaryOwner(_ name: String, base: String) -> pid_t? {
        for kind in [".tmp-", ".old-"] {
            let prefix = "." + base + kind
            guard name.hasPrefix(prefix) else { continue }
            let parts = name.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2, let pid = pid_t(parts[0]), pid > 0, UInt32(parts[1]) != nil else { return nil }
            return pid
        }
        return nil
    }

    static func itemsText(_ d: Dataset) -> String {
        var out = ""
        for it in d.items {
            out += "{\"id\":\(JSONText.quote(it.id)),\"title\":\(JSONText.quote(it.title)),\"brand\":\(JSONText.quote(it.brand)),"
            out += "\"categories\":\(JSONText.quote(it.categories)),\"description\":\(JSONText.quote(it.description))}\n"
        }
        return out
    }

    static func usersText(_ d: Dataset) -> String {
        var out = ""
        for u in 0..<d.numUsers {
            let train = d.train(u).map { JSONText.quote(d.items[$0].id) }.joined(separator: ",")
            out += "{\"user\":\(JSONText.quote(d.userIDs[u])),\"train\":[\(train)],"
            out += "\"valid\":\(JSONText.quote(d.items[d.valid(u)].id)),\"test\":\(JSONText.quote(d.items[d.test(u)].id))}\n"
        }
        return out
    }

    static func manifestText(_ d: Dataset, _ m: DatasetManifest) -> String {
        let s = d.stats
        func log(_ l: SkipLog) -> String {
            "{" + l.reasons.map { "\(JSONText.quote($0)): \(l.counts[$0] ?? 0)" }.joined(separator: ", ") + "}"
        }
        let sources = m.sources.map {
            "    {\"role\": \(JSONText.quote($0.role)), \"file\": \(JSONText.quote($0.path)), \"bytes\": \($0.bytes), \"sha256\": \(JSONText.quote($0.sha256))}"
        }.joined(separator: ",\n")
        return """
        {
          "format": "\(formatName)",
          "version": \(formatVersion),
          "name": \(JSONText.quote(d.name)),
          "source_format": \(JSONText.quote(m.sourceFormat)),
          "sources": [
        \(sources)
          ],
          "filters": {"kcore": \(m.options.kcore), "max_users": \(m.options.maxUsers.map(String.init) ?? "null"), "seed": \(m.options.seed), "refilter": \(m.options.refilter), "kcore_rounds": \(m.kcoreRounds)},
          "split": "leave-one-out: last item test, second-to-last validation, the rest training",
          "text_cleaning": \(JSONText.quote(TextCleaning.summary)),
          "stats": {"users": \(s.users), "items": \(s.items), "interactions": \(s.interactions), "avg_items": \(JSONText.number((s.averageItems * 1e4).rounded() / 1e4)), "min_length": \(s.minLength), "max_length": \(s.maxLength), "sparsity": \(JSONText.number((s.sparsity * 1e6).rounded() / 1e6))},
          "skipped_records": \(log(m.skipped)),
          "dropped_records": \(log(m.dropped))
        }

        """
    }

    /// Loads a dataset directory written by `write`, validating every line.
    public static func load(_ directory: String) throws -> Dataset {
        let manifestPath = directory + "/dataset.json"
        guard let manifestData = FileManager.default.contents(atPath: manifestPath) else {
            throw RecSysError.cannotRead(path: manifestPath, message: "no dataset manifest (run `hdrec prepare` first)")
        }
        guard let manifest = (try? JSONSerialization.jsonObject(with: manifestData)) as? [String: Any] else {
            throw RecSysError.invalidDataset(path: manifestPath, line: 1, message: "not a JSON object")
        }
        guard manifest["format"] as? String == formatName, let version = manifest["version"] as? Int else {
            throw RecSysError.invalidDataset(path: manifestPath, line: 1, message: "not an \(formatName) manifest")
        }
        guard version == formatVersion else {
            throw RecSysError.invalidDataset(path: manifestPath, line: 1, message: "format version \(version); this build reads version \(formatVersion)")
        }
        let name = manifest["name"] as? String ?? (directory as NSString).lastPathComponent

        var items: [Item] = []
        var index: [String: Int] = [:]
        let itemsPath = directory + "/items.jsonl"
        try forEachObject(itemsPath) { line, obj in
            guard let id = obj["id"] as? String, let title = obj["title"] as? String else {
                throw RecSysError.invalidDataset(path: itemsPath, line: line, message: "needs string fields 'id' and 'title'")
            }
            if index[id] != nil { throw RecSysError.invalidDataset(path: itemsPath, line: line, message: "duplicate item id '\(id)'") }
            index[id] = items.count
            items.append(Item(id: id, title: title, brand: obj["brand"] as? String ?? "",
                              categories: obj["categories"] as? String ?? "", description: obj["description"] as? String ?? ""))
        }
        var users: [String] = []
        var sequences: [[Int]] = []
        let usersPath = directory + "/users.jsonl"
        try forEachObject(usersPath) { line, obj in
            guard let user = obj["user"] as? String, let train = obj["train"] as? [Any],
                  let valid = obj["valid"] as? String, let test = obj["test"] as? String else {
                throw RecSysError.invalidDataset(path: usersPath, line: line, message: "needs 'user', 'train' (list), 'valid' and 'test'")
            }
            var seq: [Int] = []
            for any in train + [valid, test] {
                guard let id = any as? String else {
                    throw RecSysError.invalidDataset(path: usersPath, line: line, message: "item ids must be strings")
                }
                guard let i = index[id] else { throw RecSysError.unknownItem(path: usersPath, line: line, itemID: id) }
                seq.append(i)
            }
            guard seq.count >= 3 else {
                throw RecSysError.invalidDataset(path: usersPath, line: line, message: "user '\(user)' needs at least one training item")
            }
            users.append(user)
            sequences.append(seq)
        }
        return try Dataset(name: name, items: items, userIDs: users, sequences: sequences)
    }

    private static func forEachObject(_ path: String, _ body: (Int, [String: Any]) throws -> Void) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw RecSysError.cannotRead(path: path, message: "missing from the dataset directory")
        }
        var count = 0
        try Gzip.forEachLine(path: path) { line, bytes in
            if bytes.isEmpty { return }
            guard let obj = (try? JSONText.parse(bytes)) as? [String: Any] else {
                throw RecSysError.invalidDataset(path: path, line: line, message: "not a JSON object")
            }
            count += 1
            try body(line, obj)
        }
        if count == 0 { throw RecSysError.emptyFile(path: path) }
    }
}
