// The model utilities as a user runs them: `hdrec tokenize`, `hdrec inspect`
// and `hdrec quantize` on the committed stories260K GGUF (Tests/Fixtures), through the
// built binary (Programs.swift finds it). Tokenize is checked against the llama.cpp ids
// that Tools/make_tokenizer_goldens.py recorded with llama-cpp-python
// (Tests/TokenizerTests/Fixtures/goldens/stories260K.json): with and without --bos and
// --special. Inspect and quantize are checked through inspect's JSON; a truncated GGUF
// must end with a non-zero status and a message naming the field and byte offset.
// Each program run takes well under a second; the suite stays a few seconds in release.
import Foundation
import Testing

@Suite("hdrec tokenize, inspect and quantize from the command line", .serialized)
struct ModelToolsTests {
    static let stories = Programs.packageRoot + "/Tests/Fixtures/stories260K/stories260K.gguf"
    static let goldens = Programs.packageRoot + "/Tests/TokenizerTests/Fixtures/goldens/stories260K.json"

    /// One golden case: the input bytes and llama.cpp's ids for each flag combination.
    struct Golden {
        let bytes: [UInt8]
        let ids: [Int]          // add_special = false, parse_special = false
        let idsSpecial: [Int]   // parse_special = true
        let idsAddSpecial: [Int]  // add_special = true (stories260K: BOS only)
    }

    static func hdrec() throws -> String {
        switch Programs.binDirectory() {
        case .success(let dir): return dir + "/hdrec"
        case .failure(let error): throw error
        }
    }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("hdrec-tools-\(getpid())-\(UInt32.random(in: 0 ... .max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func bytes(hex: String) -> [UInt8] {
        let chars = Array(hex.utf8)
        return stride(from: 0, to: chars.count - 1, by: 2).compactMap {
            UInt8(String(decoding: chars[$0 ..< $0 + 2], as: UTF8.self), radix: 16)
        }
    }

    static func loadGoldens() throws -> [Golden] {
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: goldens))) as? [String: Any])
        let cases = try #require(root["cases"] as? [[String: Any]])
        return try cases.map { c in
            Golden(bytes: bytes(hex: try #require(c["text_hex"] as? String)),
                   ids: try #require(c["ids"] as? [Int]),
                   idsSpecial: try #require(c["ids_special"] as? [Int]),
                   idsAddSpecial: try #require(c["ids_add_special"] as? [Int]))
        }
    }

    /// Parses `hdrec tokenize` output: one JSON array of ids per line.
    static func idLines(_ output: String) throws -> [[Int]] {
        try output.split(separator: "\n", omittingEmptySubsequences: true).map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Int], "not a JSON id array: \(line)")
        }
    }

    static func inspect(_ hdrec: String, _ path: String, log: String) throws -> [String: Any] {
        let out = try Child.run(hdrec, ["inspect", path], log: log)
        return try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], "inspect printed: \(out.prefix(500))")
    }

    @Test("tokenize matches llama.cpp's ids on every golden line, with and without --bos and --special")
    func tokenizeMatchesGoldens() throws {
        let hdrec = try Self.hdrec()
        let tmp = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        // --lines tokenizes each line on its own: keep the cases without a newline, raw bytes
        // (invalid UTF-8 included) in one file.
        let cases = try Self.loadGoldens().filter { !$0.bytes.contains(0x0A) }
        #expect(cases.count > 150)
        #expect(cases.contains { $0.ids != $0.idsSpecial }, "the goldens must exercise --special")
        let input = tmp + "/lines.bin"
        try Data(cases.map(\.bytes).joined(separator: [0x0A])).write(to: URL(fileURLWithPath: input))

        let bos = 1  // stories260K's tokenizer.ggml.bos_token_id
        let runs: [(flags: [String], expected: (Golden) -> [Int])] = [
            ([], { $0.ids }),
            (["--bos"], { $0.idsAddSpecial }),  // llama.cpp's add_special adds BOS only for this vocabulary
            (["--special"], { $0.idsSpecial }),
            (["--bos", "--special"], { [bos] + $0.idsSpecial }),
        ]
        for run in runs {
            let out = try Child.run(hdrec, ["tokenize", "--model", Self.stories, "--lines", "--file", input] + run.flags,
                                    log: tmp + "/tokenize.log")
            let got = try Self.idLines(out)
            try #require(got.count == cases.count, "flags \(run.flags): \(got.count) lines for \(cases.count) inputs")
            for (c, ids) in zip(cases, got) {
                #expect(ids == run.expected(c), "flags \(run.flags), input \(String(decoding: c.bytes, as: UTF8.self).debugDescription)")
            }
        }

        // The TEXT argument path (no --file) on a few valid UTF-8 cases.
        let texts = cases.filter { !$0.bytes.isEmpty && !$0.bytes.contains(0) && String(validating: $0.bytes, as: UTF8.self) != nil }
        for c in texts.prefix(3) {
            let text = String(decoding: c.bytes, as: UTF8.self)
            let out = try Child.run(hdrec, ["tokenize", "--model", Self.stories, "--", text], log: tmp + "/tokenize-arg.log")
            #expect(try Self.idLines(out) == [c.ids], "argument \(text.debugDescription)")
        }
    }

    @Test("inspect prints stories260K's tensors, types, tokenizer and hyper-parameters as JSON")
    func inspectStories() throws {
        let hdrec = try Self.hdrec()
        let tmp = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let json = try Self.inspect(hdrec, Self.stories, log: tmp + "/inspect.log")
        #expect(json["format"] as? String == "gguf")
        #expect(json["architecture"] as? String == "llama")
        #expect(json["version"] as? Int == 3)
        let tensors = try #require(json["tensors"] as? [[String: Any]])
        #expect(json["tensor_count"] as? Int == tensors.count)
        // 5 blocks x 9 tensors + token_embd, output_norm, output.
        #expect(tensors.count == 48)
        #expect(json["tensor_types"] as? [String: Int] == ["f32": 48])
        let embedding = try #require(tensors.first { $0["name"] as? String == "token_embd.weight" })
        #expect(embedding["type"] as? String == "f32" && embedding["shape"] as? [Int] == [64, 512])
        let tokenizer = try #require(json["tokenizer"] as? [String: Any])
        #expect(tokenizer["model"] as? String == "llama" && tokenizer["size"] as? Int == 512)
        let hyper = try #require(json["hyperparameters"] as? [String: Any])
        #expect(hyper["block_count"] as? Int == 5)
        #expect(hyper["embedding_length"] as? Int == 64)
        #expect(hyper["attention.head_count"] as? Int == 8)
        #expect(hyper["context_length"] as? Int == 2048)
    }

    @Test("quantize writes readable files of each type (q8_0, q4_0, q4_1, f16, f32) with the types asked for")
    func quantizeEachType() throws {
        let hdrec = try Self.hdrec()
        let tmp = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let source = try Self.inspect(hdrec, Self.stories, log: tmp + "/inspect.log")
        let sourceTensors = try #require(source["tensors"] as? [[String: Any]])
        let probe = tmp + "/probe.txt"
        try Data("Once upon a time, there was a little girl named Lily.".utf8).write(to: URL(fileURLWithPath: probe))
        let sourceIds = try Child.run(hdrec, ["tokenize", "--model", Self.stories, "--bos", "--file", probe], log: tmp + "/tok.log")

        for type in ["q8_0", "q4_0", "q4_1", "f16", "f32"] {
            let out = tmp + "/stories-\(type).gguf"
            let said = try Child.run(hdrec, ["quantize", Self.stories, out, "--type", type], log: tmp + "/quantize-\(type).log")
            #expect(said.contains("wrote \(out)"), "\(type): \(said)")
            let json = try Self.inspect(hdrec, out, log: tmp + "/inspect-\(type).log")
            let tensors = try #require(json["tensors"] as? [[String: Any]])
            #expect(tensors.map { $0["name"] as? String } == sourceTensors.map { $0["name"] as? String }, "\(type): tensor names")
            var converted = 0
            for (t, s) in zip(tensors, sourceTensors) {
                let shape = try #require(s["shape"] as? [Int])
                #expect(t["shape"] as? [Int] == shape)
                // Matrices take the asked type (F16 when a row is not whole 32-value blocks); vectors stay F32.
                let blocks = type == "f16" || type == "f32" || shape[0] % 32 == 0
                let expected = shape.count == 2 ? (blocks ? type : "f16") : "f32"
                #expect(t["type"] as? String == expected, "\(type): \(s["name"] ?? "?") \(shape)")
                converted += shape.count == 2 && t["type"] as? String == type ? 1 : 0
            }
            #expect(converted >= 30, "\(type): only \(converted) matrices converted")
            let fileType: [String: Int] = ["f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q8_0": 7]
            #expect((json["general"] as? [String: Any])?["file_type"] as? Int == fileType[type])
            // The tokenizer metadata travels unchanged.
            let ids = try Child.run(hdrec, ["tokenize", "--model", out, "--bos", "--file", probe], log: tmp + "/tok-\(type).log")
            #expect(ids == sourceIds, "\(type): tokenizer changed")
        }
    }

    @Test("a truncated GGUF makes inspect, tokenize and quantize exit non-zero naming the field and offset")
    func truncatedFile() throws {
        let hdrec = try Self.hdrec()
        let tmp = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let whole = try Data(contentsOf: URL(fileURLWithPath: Self.stories))
        // Cut inside the token strings (metadata), and inside the last tensor's data.
        let cuts: [(bytes: Int, message: String)] = [
            (5000, "truncated file: tokenizer.ggml.tokens at byte "),
            (whole.count - 1000, "tensor \"blk.4.ffn_up.weight\": data ["),
        ]
        for (n, cut) in cuts.enumerated() {
            let path = tmp + "/cut\(n).gguf"
            try whole.prefix(cut.bytes).write(to: URL(fileURLWithPath: path))
            let commands: [[String]] = [
                ["inspect", path],
                ["tokenize", "--model", path, "hello"],
                ["quantize", path, tmp + "/out.gguf", "--type", "q8_0"],
            ]
            for (i, args) in commands.enumerated() {
                let child = try Child(hdrec, args, log: tmp + "/bad-\(n)-\(i).log")
                let status = try child.wait(seconds: 60)
                let output = child.output
                #expect(status != 0, "\(args[0]) exited 0 on a file cut at \(cut.bytes) bytes")
                #expect(output.contains(cut.message), "\(args[0]), cut at \(cut.bytes): \(output)")
                #expect(output.range(of: #"at byte \d+"#, options: .regularExpression) != nil, "\(args[0]) names no offset: \(output)")
                #expect(!output.contains("Fatal error"), "\(args[0]) crashed: \(output)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: tmp + "/out.gguf"), "quantize left an output behind")
    }
}
