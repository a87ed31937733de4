// `hdrec prepare` behaviour on small files written in each input format:
// title filter, iterative 5-core, stable time sort, leave-one-out, gzip input,
// bad input errors with file and line, lenient summaries, atomic output.
import Foundation
import Testing
@testable import RecSys

@Suite("Dataset preparation")
struct PrepareTests {
    @Test("amazon2018: drops untitled items, applies 5-core iteratively, sorts by time stably, reads gzip")
    func amazon() throws {
        let dir = TempDir()
        let reviews = try dir.write("Cat_5.json.gz", AmazonFixture.reviews, gzip: true)
        let meta = try dir.write("meta_Cat.json", AmazonFixture.meta)
        let (d, manifest) = try DatasetPreparer.prepare(format: .amazon2018, interactions: reviews, items: meta, name: "cat")
        // F (1 review) goes in round 1, then w (4 items left), then X (4 reviews left).
        #expect(d.userIDs == ["c1", "c2", "c3", "c4", "c5", "c6"])
        #expect(Set(d.items.map(\.id)) == ["A", "B", "C", "D", "E"])
        #expect(manifest.kcoreRounds == 3)
        #expect(manifest.dropped.counts["item without a title"] == 1)
        #expect(manifest.dropped.counts["review of an item without metadata or title"] == 2)
        // c1 by time: E, C, then A and B tied at 300 in file order, then D.
        #expect(d.sequences[0].map { d.items[$0].id } == ["E", "C", "A", "B", "D"])
        #expect(d.items[d.valid(0)].id == "B")
        #expect(d.items[d.test(0)].id == "D")
        #expect(Array(d.train(0)).map { d.items[$0].id } == ["E", "C", "A"])
        // Text cleaning applied to every field.
        let a = d.items[d.itemIndex["A"]!]
        #expect(a.title == "Item A & co")
        #expect(a.categories == "Industrial & Scientific,Lab")
        #expect(a.description == "Great item line two")
        #expect(manifest.sources.map(\.role) == ["reviews", "meta"])
        #expect(manifest.sources[0].sha256.count == 64)
    }

    @Test("lcrec: users in numeric id order, positions as time, ids kept as strings")
    func lcrec() throws {
        let dir = TempDir()
        let inter = try dir.write("X.inter.json", #"{"10": [3, 1, 2, 0, 4], "2": [0, 1, 2, 3, 4, 1], "1": [4, 3, 2, 1, 0]}"#)
        var items: [String] = []
        for i in 0..<5 { items.append("\"\(i)\": {\"title\": \"t\(i)\", \"brand\": \"b\", \"categories\": \"c\", \"description\": \"\"}") }
        let item = try dir.write("X.item.json", "{" + items.joined(separator: ", ") + "}")
        let (d, _) = try DatasetPreparer.prepare(format: .lcrec, interactions: inter, items: item, name: "x",
                                                 options: PrepareOptions(kcore: 3))
        #expect(d.userIDs == ["1", "2", "10"])
        #expect(d.sequences[0].map { d.items[$0].id } == ["4", "3", "2", "1", "0"])
        #expect(d.items[d.test(1)].id == "1")
    }

    @Test("recbole: typed headers in any column order, timestamps sort, title required in the item file")
    func recbole() throws {
        let dir = TempDir()
        var rows = ["item_id:token\tuser_id:token\ttimestamp:float"]
        for (u, items) in [("u1", ["a", "b", "c"]), ("u2", ["c", "a", "b"]), ("u3", ["b", "c", "a"])] {
            for (t, i) in items.enumerated() { rows.append("\(i)\t\(u)\t\(Double(10 - t))") }
        }
        let inter = try dir.write("x.inter", rows.joined(separator: "\n") + "\n")
        let item = try dir.write("x.item", "item_id:token\ttitle:token_seq\tbrand:token\na\tAlpha\tA\nb\tBeta\tB\nc\tGamma &amp; co\tC\n")
        let (d, _) = try DatasetPreparer.prepare(format: .recbole, interactions: inter, items: item, name: "x",
                                                 options: PrepareOptions(kcore: 3))
        // Timestamps decrease along each file order, so sequences come out reversed.
        #expect(d.sequences[0].map { d.items[$0].id } == ["c", "b", "a"])
        #expect(d.items[d.itemIndex["c"]!].title == "Gamma & co")
        let bad = try dir.write("bad.item", "item_id:token\tname:token\na\tAlpha\n")
        #expect(throws: RecSysError.badHeader(path: bad, message: "no 'title:...' column in header 'item_id:token\tname:token'")) {
            _ = try DatasetPreparer.prepare(format: .recbole, interactions: inter, items: bad, name: "x")
        }
    }

    @Test("malformed JSON, missing fields, unknown ids and empty files are errors naming file and line")
    func badInput() throws {
        let dir = TempDir()
        let meta = try dir.write("meta.json", AmazonFixture.meta)
        let broken = try dir.write("r1.json", AmazonFixture.review("u", "A", 1) + "\n{not json\n")
        #expect {
            _ = try DatasetPreparer.prepare(format: .amazon2018, interactions: broken, items: meta, name: "x")
        } throws: { error in
            guard case let RecSysError.malformedRecord(path, line, _) = error else { return false }
            return path == broken && line == 2
        }
        let missing = try dir.write("r2.json", AmazonFixture.review("u", "A", 1) + "\n" + #"{"asin": "A", "unixReviewTime": 5}"# + "\n")
        #expect(throws: RecSysError.missingField(path: missing, line: 2, field: "reviewerID")) {
            _ = try DatasetPreparer.prepare(format: .amazon2018, interactions: missing, items: meta, name: "x")
        }
        let empty = try dir.write("empty.json", "\n\n")
        #expect(throws: RecSysError.emptyFile(path: empty)) {
            _ = try DatasetPreparer.prepare(format: .amazon2018, interactions: empty, items: meta, name: "x")
        }
        let inter = try dir.write("x.inter.json", "{\n  \"0\": [0, 1],\n  \"1\": [0, 7]\n}")
        let item = try dir.write("x.item.json", #"{"0": {"title": "a"}, "1": {"title": "b"}}"#)
        #expect(throws: RecSysError.unknownItem(path: inter, line: 3, itemID: "7")) {
            _ = try DatasetPreparer.prepare(format: .lcrec, interactions: inter, items: item, name: "x")
        }
        #expect(throws: RecSysError.unknownFormat("movielens")) { _ = try SourceFormat.parse("movielens") }
        #expect(throws: RecSysError.cannotRead(path: dir.path + "/nope.json", message: "no such readable file")) {
            _ = try DatasetPreparer.prepare(format: .lcrec, interactions: dir.path + "/nope.json", items: item, name: "x")
        }
    }

    @Test("lenient mode skips malformed records and counts them by reason")
    func lenient() throws {
        let dir = TempDir()
        let meta = try dir.write("meta.json", AmazonFixture.meta + "garbage\n{\"title\": \"no asin\"}\n")
        let reviews = try dir.write("r.json", AmazonFixture.reviews + "{oops\n{\"asin\": \"A\"}\n{\"asin\": \"B\"}\n")
        let (d, manifest) = try DatasetPreparer.prepare(format: .amazon2018, interactions: reviews, items: meta, name: "x", lenient: true)
        #expect(d.numUsers == 6)
        #expect(manifest.skipped.counts["malformed metadata line"] == 1)
        #expect(manifest.skipped.counts["metadata without 'asin'"] == 1)
        #expect(manifest.skipped.counts["malformed review line"] == 1)
        #expect(manifest.skipped.counts["review without 'reviewerID'"] == 2)
        #expect(manifest.skipped.summary.contains("2 × review without 'reviewerID' (first at \(reviews):"))
    }

    @Test("--refilter re-applies the k-core to the sample: a dense sample survives whole, a sparse one is emptied with a named error")
    func refilteredSampling() throws {
        let dir = TempDir()
        func files(_ name: String, _ seqs: [[Int]]) throws -> (String, String) {
            let body = seqs.enumerated().map { "\"\($0.offset)\": [" + $0.element.map(String.init).joined(separator: ", ") + "]" }
            let inter = try dir.write(name + ".inter.json", "{" + body.joined(separator: ", ") + "}")
            let item = try dir.write(name + ".item.json", "{" + (0..<40).map { "\"\($0)\": {\"title\": \"t\"}" }.joined(separator: ", ") + "}")
            return (inter, item)
        }
        func prepare(_ f: (String, String), refilter: Bool) throws -> (Dataset, Int) {
            let r = try DatasetPreparer.prepare(format: .lcrec, interactions: f.0, items: f.1, name: "x",
                                                options: PrepareOptions(kcore: 5, maxUsers: 12, seed: 7, refilter: refilter))
            return (r.0, r.1.kcoreRounds)
        }
        // 40 users over the same 6 items: any 12 of them are still 5-core.
        let dense = try files("dense", (0..<40).map { _ in Array(0..<6) })
        let (kept, rounds) = try prepare(dense, refilter: true)
        let (plain, plainRounds) = try prepare(dense, refilter: false)
        #expect(kept.numUsers == 12)
        #expect(kept.userIDs == plain.userIDs)
        #expect(rounds == plainRounds + 1)   // one more k-core pass, over the sample
        // 40 users on a ring of 40 items (6 consecutive each): the full data is 5-core, a
        // 12-user sample is not, and re-filtering it cascades to nothing.
        let ring = try files("ring", (0..<40).map { u in (0..<6).map { (u + $0) % 40 } })
        #expect(try prepare(ring, refilter: false).0.numUsers == 12)
        do {
            _ = try prepare(ring, refilter: true)
            Issue.record("a re-filtered ring sample should be empty")
        } catch let error as RecSysError {
            #expect("\(error)".contains("12-user sample"))
        }
    }

    @Test("--max-users keeps exactly N whole users of the k-core, the same ones for the same seed")
    func sampling() throws {
        // 40 users on a ring of 40 items, 6 consecutive items each: every item has 6
        // interactions, so the full data is 5-core, but a 12-user sample holds most items
        // fewer than 5 times; re-running the item 5-core on the sample would empty it.
        let dir = TempDir()
        var seqs: [String] = []
        for u in 0..<40 { seqs.append("\"\(u)\": [" + (0..<6).map { String((u + $0) % 40) }.joined(separator: ", ") + "]") }
        let inter = try dir.write("x.inter.json", "{" + seqs.joined(separator: ", ") + "}")
        let item = try dir.write("x.item.json", "{" + (0..<40).map { "\"\($0)\": {\"title\": \"t\"}" }.joined(separator: ", ") + "}")
        func prepare(_ maxUsers: Int?, seed: UInt64) throws -> Dataset {
            try DatasetPreparer.prepare(format: .lcrec, interactions: inter, items: item, name: "x",
                                        options: PrepareOptions(kcore: 5, maxUsers: maxUsers, seed: seed)).0
        }
        let full = try prepare(nil, seed: 7)
        let a = try prepare(12, seed: 7), b = try prepare(12, seed: 7), c = try prepare(12, seed: 8)
        #expect(full.numUsers == 40)
        #expect(a.numUsers == 12)
        #expect(a.userIDs == b.userIDs)
        #expect(a.sequences == b.sequences)
        #expect(c.numUsers == 12)
        #expect(c.userIDs != a.userIDs)
        // Sampled users keep their whole sequences, in source order, and the items are exactly those they touch.
        let fullIndex = Dictionary(uniqueKeysWithValues: full.userIDs.enumerated().map { ($1, $0) })
        var touched = Set<String>()
        var previous = -1
        for (u, id) in a.userIDs.enumerated() {
            let f = try #require(fullIndex[id])
            #expect(f > previous)
            previous = f
            let ids = a.sequences[u].map { a.items[$0].id }
            #expect(ids == full.sequences[f].map { full.items[$0].id })
            touched.formUnion(ids)
        }
        #expect(Set(a.items.map(\.id)) == touched)
        #expect(a.items.count < 40)
        // Asking for more users than there are keeps them all.
        #expect(try prepare(100, seed: 7).userIDs == full.userIDs)
    }

    @Test("the dataset directory round-trips, replaces an old one atomically and leaves no temporary directory")
    func storeRoundTrip() throws {
        let dir = TempDir()
        let reviews = try dir.write("r.json", AmazonFixture.reviews)
        let meta = try dir.write("m.json", AmazonFixture.meta)
        let (d, manifest) = try DatasetPreparer.prepare(format: .amazon2018, interactions: reviews, items: meta, name: "cat")
        let out = dir.path + "/out/cat"
        try DatasetStore.write(d, manifest: manifest, to: out)
        try DatasetStore.write(d, manifest: manifest, to: out)
        let loaded = try DatasetStore.load(out)
        #expect(loaded.items == d.items)
        #expect(loaded.userIDs == d.userIDs)
        #expect(loaded.sequences == d.sequences)
        #expect(loaded.name == "cat")
        let siblings = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/out")
        #expect(siblings == ["cat"])
        let manifestText = try String(contentsOfFile: out + "/dataset.json", encoding: .utf8)
        #expect(manifestText.contains("\"users\": 6, \"items\": 5, \"interactions\": 30"))
        // A corrupted users file is reported with its line.
        let users = try String(contentsOfFile: out + "/users.jsonl", encoding: .utf8).split(separator: "\n")
        try (users[0] + "\n{\"user\": \"z\", \"train\": [\"Q\"], \"valid\": \"A\", \"test\": \"B\"}\n").write(toFile: out + "/users.jsonl", atomically: true, encoding: .utf8)
        #expect(throws: RecSysError.unknownItem(path: out + "/users.jsonl", line: 2, itemID: "Q")) { _ = try DatasetStore.load(out) }
    }

    /// A prepared dataset of the Amazon fixture, for the output-directory tests.
    static func fixtureDataset(_ dir: TempDir) throws -> (Dataset, DatasetManifest) {
        let reviews = try dir.write("r.json", AmazonFixture.reviews)
        let meta = try dir.write("m.json", AmazonFixture.meta)
        return try DatasetPreparer.prepare(format: .amazon2018, interactions: reviews, items: meta, name: "cat")
    }

    @Test("--out refuses a directory that is not a dataset, and leaves its files untouched")
    func refusesForeignDirectory() throws {
        let dir = TempDir()
        let (d, manifest) = try Self.fixtureDataset(dir)
        let victim = dir.path + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: false)
        try "keep me".write(toFile: victim + "/notes.txt", atomically: true, encoding: .utf8)
        #expect(throws: RecSysError.wontReplace(path: victim, found: "a directory without an hdrec-dataset manifest (it holds notes.txt)")) {
            try DatasetStore.write(d, manifest: manifest, to: victim)
        }
        #expect(try String(contentsOfFile: victim + "/notes.txt", encoding: .utf8) == "keep me")
        // A dataset directory with someone's file inside is refused too.
        let out = dir.path + "/cat"
        try DatasetStore.write(d, manifest: manifest, to: out)
        try "mine".write(toFile: out + "/notes.txt", atomically: true, encoding: .utf8)
        #expect(throws: RecSysError.wontReplace(path: out, found: "a dataset directory that also holds notes.txt")) {
            try DatasetStore.write(d, manifest: manifest, to: out)
        }
        #expect(FileManager.default.fileExists(atPath: out + "/notes.txt"))
        // A dataset.json of another format does not make a directory a dataset.
        let other = dir.path + "/other"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        try #"{"format": "something-else"}"#.write(toFile: other + "/dataset.json", atomically: true, encoding: .utf8)
        #expect(throws: RecSysError.self) { try DatasetStore.write(d, manifest: manifest, to: other) }
        #expect(try String(contentsOfFile: other + "/dataset.json", encoding: .utf8) == #"{"format": "something-else"}"#)
        // Nothing was left beside them.
        let siblings = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".") }
        #expect(siblings.isEmpty)
    }

    @Test("--out refuses a plain file and keeps it")
    func refusesFile() throws {
        let dir = TempDir()
        let (d, manifest) = try Self.fixtureDataset(dir)
        let file = try dir.write("somefile", "precious")
        #expect(throws: RecSysError.wontReplace(path: file, found: "a file")) {
            try DatasetStore.write(d, manifest: manifest, to: file)
        }
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "precious")
    }

    @Test("--out fills an empty directory and replaces an earlier dataset")
    func replacesDataset() throws {
        let dir = TempDir()
        let (d, manifest) = try Self.fixtureDataset(dir)
        let out = dir.path + "/cat"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        try DatasetStore.write(d, manifest: manifest, to: out)
        #expect(try DatasetStore.load(out).numUsers == 6)
        // A smaller dataset replaces it entirely.
        let small = try Dataset(name: "small", items: Array(d.items.prefix(3)), userIDs: ["z"], sequences: [[0, 1, 2]])
        try DatasetStore.write(small, manifest: manifest, to: out)
        let loaded = try DatasetStore.load(out)
        #expect(loaded.userIDs == ["z"])
        #expect(loaded.name == "small")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == DatasetStore.fileNames)
    }

    @Test("a failed prepare leaves the earlier dataset intact, and leftovers of a killed run are removed")
    func failureKeepsOld() throws {
        let dir = TempDir()
        let (d, manifest) = try Self.fixtureDataset(dir)
        let out = dir.path + "/cat"
        try DatasetStore.write(d, manifest: manifest, to: out)
        let before = try String(contentsOfFile: out + "/users.jsonl", encoding: .utf8)
        // An input error half-way through the review file: nothing is written.
        let broken = try dir.write("broken.json", AmazonFixture.reviews + "{not json\n" + AmazonFixture.reviews)
        #expect(throws: RecSysError.self) {
            let (d2, m2) = try DatasetPreparer.prepare(format: .amazon2018, interactions: broken, items: dir.path + "/m.json", name: "cat")
            try DatasetStore.write(d2, manifest: m2, to: out)
        }
        #expect(try String(contentsOfFile: out + "/users.jsonl", encoding: .utf8) == before)
        #expect(try DatasetStore.load(out).userIDs == d.userIDs)
        // A run killed mid-write leaves `.cat.tmp-PID-N`; the next write removes it once PID is gone,
        // but not one of a live process, nor anything else that merely looks similar.
        let dead = Process()
        dead.executableURL = URL(fileURLWithPath: "/bin/sh")
        dead.arguments = ["-c", "exit 0"]
        try dead.run()
        dead.waitUntilExit()
        let stale = dir.path + "/.cat.tmp-\(dead.processIdentifier)-17"
        let staleOld = dir.path + "/.cat.old-\(dead.processIdentifier)-18"
        let live = dir.path + "/.cat.tmp-1-19"   // pid 1 always exists
        let lookalike = dir.path + "/.cat.tmp-notes"
        for p in [stale, staleOld, live, lookalike] {
            try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: false)
            try "x".write(toFile: p + "/items.jsonl", atomically: true, encoding: .utf8)
        }
        try DatasetStore.write(d, manifest: manifest, to: out)
        let siblings = Set(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".cat") })
        #expect(siblings == [".cat.tmp-1-19", ".cat.tmp-notes"])
    }

    @Test("lcrec: a JSON syntax error is reported at its line and column, not line 1")
    func lcrecSyntaxLine() throws {
        let dir = TempDir()
        let item = try dir.write("x.item.json", #"{"0": {"title": "a"}, "1": {"title": "b"}}"#)
        // Line 3, column 11: the second comma. The two-byte "é" before it counts as one column.
        let inter = try dir.write("x.inter.json", "{\n  \"0\": [0, 1],\n  \"é\": [1,, 2]\n}\n")
        #expect {
            _ = try DatasetPreparer.prepare(format: .lcrec, interactions: inter, items: item, name: "x")
        } throws: { error in
            guard case let RecSysError.malformedRecord(path, line, message) = error else { return false }
            return path == inter && line == 3 && message.hasPrefix("column 11:")
        }
        // A file cut short points at its last line.
        let cut = try dir.write("cut.item.json", "{\n\"0\": {\"title\": \"a\"},\n\"1\": {\"title\": ")
        #expect {
            _ = try DatasetPreparer.prepare(format: .lcrec, interactions: inter, items: cut, name: "x")
        } throws: { error in
            guard case let RecSysError.malformedRecord(path, line, _) = error else { return false }
            return path == cut && line == 3
        }
        // The byte-offset arithmetic itself, including a byte order mark.
        let text = Data("ab\nçd\nxyz".utf8)
        for (offset, line, column) in [(0, 1, 1), (2, 1, 3), (3, 2, 1), (5, 2, 2), (9, 3, 3)] {
            let at = JSONText.lineAndColumn(ofByte: offset, in: text)
            #expect(at.line == line && at.column == column, "byte \(offset)")
        }
    }

    /// The same five users and six items as LC-Rec and as RecBole files (RecBole rows shuffled
    /// across users but chronological per user, with timestamps or, optionally, without).
    static func sameDataBothFormats(_ dir: TempDir, timestamps: Bool) throws -> (lcrec: (String, String), recbole: (String, String)) {
        let sequences: [(String, [String])] = [("1", ["a", "b", "c", "d"]), ("2", ["b", "c", "d", "e", "f"]),
                                               ("3", ["f", "a", "b"]), ("4", ["c", "d", "a", "e"]), ("5", ["e", "f", "a", "b"])]
        let titles = ["a": "Alpha &amp; co", "b": "Beta", "c": "Gamma", "d": "Delta", "e": "Epsilon", "f": "Zeta"]
        let lcInter = try dir.write("s.inter.json", "{" + sequences.map { u, s in
            "\"\(u)\": [" + s.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }.joined(separator: ", ") + "}")
        let lcItem = try dir.write("s.item.json", "{" + titles.keys.sorted().map {
            "\"\($0)\": {\"title\": \"\(titles[$0]!)\", \"brand\": \"B\($0)\"}" }.joined(separator: ", ") + "}")
        // Interleave users round-robin so the file order is not grouped by user; users still
        // first appear in order 1..5, as the LC-Rec reader numbers them.
        var rows: [String] = [timestamps ? "user_id:token\titem_id:token\ttimestamp:float" : "user_id:token\titem_id:token"]
        for position in 0..<5 {
            for (u, s) in sequences where position < s.count {
                rows.append("\(u)\t\(s[position])" + (timestamps ? "\t\(1000 + 10 * position)" : ""))
            }
        }
        let rbInter = try dir.write(timestamps ? "t.inter" : "n.inter", rows.joined(separator: "\n") + "\n")
        let rbItem = try dir.write("s.item", "item_id:token\ttitle:token_seq\tbrand:token\n"
                                   + titles.keys.sorted(by: >).map { "\($0)\t\(titles[$0]!)\tB\($0)" }.joined(separator: "\n") + "\n")
        return ((lcInter, lcItem), (rbInter, rbItem))
    }

    @Test("LC-Rec and RecBole files of the same data give byte-identical items.jsonl and users.jsonl, with or without RecBole timestamps")
    func formatsAgree() throws {
        for timestamps in [true, false] {
            let dir = TempDir()
            let files = try Self.sameDataBothFormats(dir, timestamps: timestamps)
            let options = PrepareOptions(kcore: 3)
            let (a, ma) = try DatasetPreparer.prepare(format: .lcrec, interactions: files.lcrec.0, items: files.lcrec.1, name: "s", options: options)
            let (b, mb) = try DatasetPreparer.prepare(format: .recbole, interactions: files.recbole.0, items: files.recbole.1, name: "s", options: options)
            try DatasetStore.write(a, manifest: ma, to: dir.path + "/from-lcrec")
            try DatasetStore.write(b, manifest: mb, to: dir.path + "/from-recbole")
            for file in ["items.jsonl", "users.jsonl"] {
                let x = try String(contentsOfFile: dir.path + "/from-lcrec/" + file, encoding: .utf8)
                let y = try String(contentsOfFile: dir.path + "/from-recbole/" + file, encoding: .utf8)
                #expect(x == y, "\(file), timestamps \(timestamps)")
            }
            #expect(b.userIDs == ["1", "2", "3", "4", "5"])
            #expect(b.sequences[1].map { b.items[$0].id } == ["b", "c", "d", "e", "f"])
            #expect(b.items[b.itemIndex["a"]!].title == "Alpha & co")
        }
    }

    @Test("a file given under the wrong --format is named as such, in strict and lenient mode")
    func wrongFormatHint() throws {
        let dir = TempDir()
        let files = try Self.sameDataBothFormats(dir, timestamps: true)
        let amazonReviews = try dir.write("r.json", AmazonFixture.reviews)
        let amazonMeta = try dir.write("m.json", AmazonFixture.meta)
        func wrongFormat(_ format: SourceFormat, _ inter: String, _ item: String, lenient: Bool = false) -> RecSysError? {
            do {
                _ = try DatasetPreparer.prepare(format: format, interactions: inter, items: item, name: "x", lenient: lenient)
                return nil
            } catch let e as RecSysError { return e } catch { return nil }
        }
        // RecBole files read as lcrec: the item file is read first.
        #expect(wrongFormat(.lcrec, files.recbole.0, files.recbole.1)
                == .wrongFormat(path: files.recbole.1, line: 1, expected: "lcrec", found: "a RecBole typed TSV header, i.e. recbole input"))
        // LC-Rec files read as recbole.
        #expect(wrongFormat(.recbole, files.lcrec.0, files.lcrec.1)
                == .wrongFormat(path: files.lcrec.1, line: 1, expected: "recbole", found: "a whole-file JSON object of ids (LC-Rec), i.e. lcrec input"))
        // LC-Rec files read as amazon2018, even leniently (the metadata file is read first).
        for lenient in [false, true] {
            #expect(wrongFormat(.amazon2018, files.lcrec.0, files.lcrec.1, lenient: lenient)
                    == .wrongFormat(path: files.lcrec.1, line: 1, expected: "amazon2018", found: "a whole-file JSON object of ids (LC-Rec), i.e. lcrec input"))
        }
        // RecBole files read as amazon2018.
        #expect(wrongFormat(.amazon2018, files.recbole.0, files.recbole.1)
                == .wrongFormat(path: files.recbole.1, line: 1, expected: "amazon2018", found: "a RecBole typed TSV header, i.e. recbole input"))
        // Amazon JSON lines read as lcrec (the error is where the second record starts) and as recbole.
        #expect(wrongFormat(.lcrec, amazonReviews, amazonMeta)
                == .wrongFormat(path: amazonMeta, line: 2, expected: "lcrec", found: "Amazon 2018 metadata JSON lines, i.e. amazon2018 input"))
        #expect(wrongFormat(.recbole, amazonReviews, amazonMeta)
                == .wrongFormat(path: amazonMeta, line: 1, expected: "recbole", found: "Amazon 2018 metadata JSON lines, i.e. amazon2018 input"))
        let message = wrongFormat(.recbole, amazonReviews, amazonMeta)?.description ?? ""
        #expect(message.hasSuffix("check --format"))
        // A bad first record of a file in the right format keeps its own error.
        let badFirst = try dir.write("bad.item.json", "{\n  \"0\": {\"title\": \"a\"},,\n}")
        #expect(wrongFormat(.lcrec, files.lcrec.0, badFirst)?.fileLocation?.line == 2)
        if case .wrongFormat = wrongFormat(.lcrec, files.lcrec.0, badFirst) { Issue.record("a broken LC-Rec file is still LC-Rec") }
    }
}
