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
import JSON
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
              let manifest = try? JSONValue.parse([UInt8](data)), manifest["format"]?.stringValue == formatName else {
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
            out += "{\"id\":\(JSONString.quote(it.id)),\"title\":\(JSONString.quote(it.title)),\"brand\":\(JSONString.quote(it.brand)),"
            out += "\"categories\":\(JSONString.quote(it.categories)),\"description\":\(JSONString.quote(it.description))}\n"
        }
        return out
    }

    static func usersText(_ d: Dataset) -> String {
        var out = ""
        for u in 0..<d.numUsers {
            let train = d.train(u).map { JSONString.quote(d.items[$0].id) }.joined(separator: ",")
            out += "{\"user\":\(JSONString.quote(d.userIDs[u])),\"train\":[\(train)],"
            out += "\"valid\":\(JSONString.quote(d.items[d.valid(u)].id)),\"test\":\(JSONString.quote(d.items[d.test(u)].id))}\n"
        }
        return out
    }

    static func manifestText(_ d: Dataset, _ m: DatasetManifest) -> String {
        let s = d.stats
        func log(_ l: SkipLog) -> String {
            "{" + l.reasons.map { "\(JSONString.quote($0)): \(l.counts[$0] ?? 0)" }.joined(separator: ", ") + "}"
        }
        let sources = m.sources.map {
            "    {\"role\": \(JSONString.quote($0.role)), \"file\": \(JSONString.quote($0.path)), \"bytes\": \($0.bytes), \"sha256\": \(JSONString.quote($0.sha256))}"
        }.joined(separator: ",\n")
        return """
        {
          "format": "\(formatName)",
          "version": \(formatVersion),
          "name": \(JSONString.quote(d.name)),
          "source_format": \(JSONString.quote(m.sourceFormat)),
          "sources": [
        \(sources)
          ],
          "filters": {"kcore": \(m.options.kcore), "max_users": \(m.options.maxUsers.map(String.init) ?? "null"), "seed": \(m.options.seed), "refilter": \(m.options.refilter), "kcore_rounds": \(m.kcoreRounds)},
          "split": "leave-one-out: last item test, second-to-last validation, the rest training",
          "text_cleaning": \(JSONString.quote(TextCleaning.summary)),
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
        let manifest: JSONValue
        do { manifest = try JSONValue.parse([UInt8](manifestData)) } catch {
            throw RecSysError.invalidDataset(path: manifestPath, line: 1, message: "not a JSON object (\(error))")
        }
        guard manifest.objectValue != nil else {
            throw RecSysError.invalidDataset(path: manifestPath, line: 1, message: "not a JSON object")
        }
        guard manifest["format"]?.stringValue == formatName, let version = manifest["version"]?.intValue else {
            throw RecSysError.invalidDataset(path: manifestPath, line: 1, message: "not an \(formatName) manifest")
        }
        guard version == formatVersion else {
            throw RecSysError.invalidDataset(path: manifestPath, line: 1, message: "format version \(version); this build reads version \(formatVersion)")
        }
        let name = manifest["name"]?.stringValue ?? (directory as NSString).lastPathComponent

        var items: [Item] = []
        var index: [String: Int] = [:]
        let itemsPath = directory + "/items.jsonl"
        try forEachObject(itemsPath) { line, obj in
            guard let id = obj["id"]?.stringValue, let title = obj["title"]?.stringValue else {
                throw RecSysError.invalidDataset(path: itemsPath, line: line, message: "needs string fields 'id' and 'title'")
            }
            if index[id] != nil { throw RecSysError.invalidDataset(path: itemsPath, line: line, message: "duplicate item id '\(id)'") }
            index[id] = items.count
            items.append(Item(id: id, title: title, brand: obj["brand"]?.stringValue ?? "",
                              categories: obj["categories"]?.stringValue ?? "", description: obj["description"]?.stringValue ?? ""))
        }
        var users: [String] = []
        var sequences: [[Int]] = []
        let usersPath = directory + "/users.jsonl"
        try forEachObject(usersPath) { line, obj in
            guard let user = obj["user"]?.stringValue, let train = obj["train"]?.arrayValue,
                  let valid = obj["valid"]?.stringValue, let test = obj["test"]?.stringValue else {
                throw RecSysError.invalidDataset(path: usersPath, line: line, message: "needs 'user', 'train' (list), 'valid' and 'test'")
            }
            var seq: [Int] = []
            for value in train + [.string(valid), .string(test)] {
                guard let id = value.stringValue else {
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

    /// Calls `body` with each non-empty line's object; a line that is not one is an error
    /// naming the file, the line and, for malformed JSON, the byte.
    private static func forEachObject(_ path: String, _ body: (Int, JSONValue) throws -> Void) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw RecSysError.cannotRead(path: path, message: "missing from the dataset directory")
        }
        var count = 0
        try Gzip.forEachLine(path: path) { line, bytes in
            if bytes.isEmpty { return }
            let obj: JSONValue
            do { obj = try JSONValue.parse(bytes) } catch {
                throw RecSysError.invalidDataset(path: path, line: line, message: "not a JSON object (\(error))")
            }
            guard obj.objectValue != nil else {
                throw RecSysError.invalidDataset(path: path, line: line, message: "not a JSON object")
            }
            count += 1
            try body(line, obj)
        }
        if count == 0 { throw RecSysError.emptyFile(path: path) }
    }
}
