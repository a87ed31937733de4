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

    @Test("--max-users keeps a reproducible sample, then re-applies the filters")
    func sampling() throws {
        let dir = TempDir()
        var seqs: [String] = []
        for u in 0..<40 { seqs.append("\"\(u)\": [" + (0..<6).map { String((u + $0) % 8) }.joined(separator: ", ") + "]") }
        let inter = try dir.write("x.inter.json", "{" + seqs.joined(separator: ", ") + "}")
        let item = try dir.write("x.item.json", "{" + (0..<8).map { "\"\($0)\": {\"title\": \"t\"}" }.joined(separator: ", ") + "}")
        let options = PrepareOptions(kcore: 5, maxUsers: 12, seed: 7)
        let (a, _) = try DatasetPreparer.prepare(format: .lcrec, interactions: inter, items: item, name: "x", options: options)
        let (b, _) = try DatasetPreparer.prepare(format: .lcrec, interactions: inter, items: item, name: "x", options: options)
        #expect(a.userIDs == b.userIDs)
        #expect(a.numUsers <= 12 && a.numUsers > 0)
        var counts: [Int: Int] = [:]
        for s in a.sequences { for i in s { counts[i, default: 0] += 1 } }
        #expect(counts.values.allSatisfy { $0 >= 5 })
        let (c, _) = try DatasetPreparer.prepare(format: .lcrec, interactions: inter, items: item, name: "x",
                                                 options: PrepareOptions(kcore: 5, maxUsers: 12, seed: 8))
        #expect(c.userIDs != a.userIDs)
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
}
