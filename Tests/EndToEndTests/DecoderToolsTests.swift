// The decoder commands through the built `hdrec` binary, on the committed
// stories260K and its LoRA fixtures (Tests/LlamaTests/Fixtures: a PEFT directory and
// its llama.cpp GGUF conversion, i.e. the same adapter twice): `generate` (greedy
// known story, --lora/--lora-scale pairing), `logits` (.npy equal to the library's
// logits), `bench --json` (keys only: speed belongs in benchmarks; `--layers`) and a prompt longer
// than the context (non-zero exit, clear message).
import Foundation
import Llama
import ModelFiles
import Testing
import Tokenizer

@Suite("Decoder commands: hdrec generate, logits, bench")
struct DecoderToolsTests {
    static let model = Programs.packageRoot + "/Tests/Fixtures/stories260K/stories260K.gguf"
    static let peft = Programs.packageRoot + "/Tests/LlamaTests/Fixtures/stories260K-lora-peft"
    static let gguf = Programs.packageRoot + "/Tests/LlamaTests/Fixtures/stories260K-lora.gguf"
    static let prompt = "Once upon a time"

    /// The hdrec binary of this build and a fresh temporary directory, or nil (recorded) when missing.
    static func setUp() throws -> (hdrec: String, tmp: String)? {
        switch Programs.binDirectory() {
        case .success(let dir):
            let tmp = FileManager.default.temporaryDirectory
                .appendingPathComponent("hdrec-decoder-\(getpid())-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            return (dir + "/hdrec", tmp)
        case .failure(let error):
            Issue.record(Comment(rawValue: error.description))
            return nil
        }
    }

    /// `hdrec logits` of the prompt with `extra` arguments; the values of the .npy it wrote.
    static func logits(_ hdrec: String, _ tmp: String, _ extra: [String]) throws -> [Float] {
        let out = tmp + "/\(UUID().uuidString).npy"
        try Child.run(hdrec, ["logits", "--model", model, "--prompt", prompt, "--out", out, "--threads", "1"] + extra,
                      log: out + ".log")
        return try NPY(path: out).values
    }

    @Test("generate: greedy from BOS gives stories260K's known story")
    func greedyStory() throws {
        guard let env = try Self.setUp() else { return }
        let (hdrec, tmp) = env
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let text = try Child.run(hdrec, ["generate", "--model", Self.model, "--prompt", "", "--max-tokens", "32",
                                         "--temperature", "0", "--threads", "1"], log: tmp + "/gen.log")
        let expected = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park."
        #expect(text.trimmingCharacters(in: .whitespaces).hasPrefix(expected), "generated: \(text)")
        // Scale 0 switches an adapter off: the same story.
        let off = try Child.run(hdrec, ["generate", "--model", Self.model, "--lora", Self.peft, "--lora-scale", "0", "--prompt", "",
                                        "--max-tokens", "32", "--temperature", "0", "--threads", "1"], log: tmp + "/gen0.log")
        #expect(off == text)
    }

    @Test("logits --out writes a float32 .npy of vocabulary length equal to the library's logits")
    func logitsNPY() throws {
        guard let env = try Self.setUp() else { return }
        let (hdrec, tmp) = env
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let out = tmp + "/x.npy"
        try Child.run(hdrec, ["logits", "--model", Self.model, "--prompt", Self.prompt, "--out", out, "--threads", "1"],
                      log: tmp + "/logits.log")
        let npy = try NPY(path: out)
        #expect(npy.descr == "<f4" && npy.shape == [512])

        let file = try GGUFFile(path: Self.model)
        let model = try LlamaModel(gguf: file)
        let tokenizer = try Tokenizer(gguf: file)
        let tokens = tokenizer.encode(Self.prompt, addBOS: tokenizer.addBOSByDefault, parseSpecial: true)
        #expect(tokens.first == 1)
        let library = try model.forward(.init(tokens: tokens), cache: KVCache(config: model.config), logits: .last)
        #expect(npy.values.count == model.config.vocabSize)
        let diff = zip(npy.values, library.lastLogits).map { abs($0 - $1) }.max() ?? .infinity
        #expect(diff < 1e-5, "max |Δ| \(diff)")
    }

    @Test("each --lora-scale binds to the --lora before it: PEFT·0.5 + GGUF·0.5 = PEFT·1, scale 0 = base")
    func loraScalePairing() throws {
        guard let env = try Self.setUp() else { return }
        let (hdrec, tmp) = env
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let base = try Self.logits(hdrec, tmp, [])
        let peft = try Self.logits(hdrec, tmp, ["--lora", Self.peft])
        let halves = try Self.logits(hdrec, tmp, ["--lora", Self.peft, "--lora-scale", "0.5", "--lora", Self.gguf, "--lora-scale=0.5"])
        let off = try Self.logits(hdrec, tmp, ["--lora", Self.peft, "--lora-scale", "0"])
        // 0.5 on the first only; the second keeps its default 1: 1.5 in all.
        let firstOnly = try Self.logits(hdrec, tmp, ["--lora", Self.peft, "--lora-scale", "0.5", "--lora", Self.gguf])
        let oneAndHalf = try Self.logits(hdrec, tmp, ["--lora", Self.gguf, "--lora-scale", "1.5"])
        func diff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }
        #expect(diff(peft, base) > 0.1, "the adapter must change the logits for this test to mean anything")
        #expect(diff(halves, peft) < 1e-4)
        #expect(off == base)
        #expect(diff(firstOnly, oneAndHalf) < 1e-4)
        #expect(diff(firstOnly, peft) > 0.05)

        let misplaced = try Child(hdrec, ["logits", "--model", Self.model, "--prompt", Self.prompt, "--out", tmp + "/m.npy",
                                          "--lora-scale", "0.5"], log: tmp + "/misplaced.log")
        #expect(try misplaced.wait(seconds: 30) != 0)
        #expect(misplaced.output.contains("--lora-scale must follow a --lora"), "\(misplaced.output)")
    }

    /// `hdrec bench --json` over 8 prompt tokens, one thread, one repeat, with `extra` arguments:
    /// its JSON line and that line parsed.
    static func bench(_ hdrec: String, _ tmp: String, _ extra: [String]) throws -> (line: String, json: [String: Any]) {
        let output = try Child.run(hdrec, ["bench", "--model", model, "--prompt-tokens", "8", "--threads", "1",
                                           "--repeats", "1", "--json"] + extra, log: tmp + "/bench.log")
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("{") })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return (String(line), json)
    }

    @Test("bench --json prints prefill_tokens_per_s and decode_tokens_per_s")
    func benchJSON() throws {
        guard let env = try Self.setUp() else { return }
        let (hdrec, tmp) = env
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let (line, json) = try Self.bench(hdrec, tmp, ["--decode-tokens", "2"])
        for key in ["prefill_tokens_per_s", "decode_tokens_per_s"] {
            let value = try #require((json[key] as? NSNumber)?.doubleValue, "missing \(key) in \(line)")
            #expect(value > 0, "\(key) = \(value)")
        }
    }

    @Test("bench --layers times the first N blocks as a bundle runs them, and refuses to decode")
    func benchLayers() throws {
        guard let env = try Self.setUp() else { return }
        let (hdrec, tmp) = env
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let (line, json) = try Self.bench(hdrec, tmp, ["--decode-tokens", "0", "--layers", "2"])
        #expect((json["layers"] as? NSNumber)?.intValue == 2, "\(line)")  // stories260K has 5
        #expect(((json["prefill_tokens_per_s"] as? NSNumber)?.doubleValue ?? 0) > 0, "\(line)")
        let decoding = try Child(hdrec, ["bench", "--model", Self.model, "--prompt-tokens", "8", "--layers", "2"], log: tmp + "/decode.log")
        #expect(try decoding.wait(seconds: 60) != 0)
        #expect(decoding.output.contains("pass --decode-tokens 0"), "\(decoding.output.suffix(500))")
    }

    @Test("a prompt longer than the context exits non-zero, saying so", arguments: ["logits", "generate"])
    func promptTooLong(command: String) throws {
        guard let env = try Self.setUp() else { return }
        let (hdrec, tmp) = env
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        // stories260K's context is 2048 positions; each " Lily" is at least one token.
        let long = String(repeating: "Lily ", count: 2100)
        var args = [command, "--model", Self.model, "--prompt", long, "--threads", "1"]
        args += command == "logits" ? ["--out", tmp + "/long.npy"] : ["--max-tokens", "2"]
        let child = try Child(hdrec, args, log: tmp + "/long.log")
        let status = try child.wait(seconds: 60)
        #expect(status != 0)
        #expect(child.output.contains("context is 2048"), "\(child.output.suffix(500))")
        #expect(!FileManager.default.fileExists(atPath: tmp + "/long.npy"))
    }
}

/// A 1-D or N-D little-endian float32 .npy file, read strictly enough to tell a valid one.
struct NPY {
    let descr: String
    let shape: [Int]
    let values: [Float]

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1 ..< 6]) == Array("NUMPY".utf8), bytes[6] == 1 else {
            throw ProgramError.failed(command: "read \(path)", status: 0, output: "not a .npy v1 file")
        }
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let start = 10 + headerLength
        guard start % 64 == 0, bytes.count >= start,
              let header = String(bytes: bytes[10 ..< start], encoding: .ascii), header.hasSuffix("\n") else {
            throw ProgramError.failed(command: "read \(path)", status: 0, output: "bad .npy header")
        }
        func field(_ key: String, _ close: Character) -> String? {
            guard let r = header.range(of: "'\(key)': ") else { return nil }
            let rest = header[r.upperBound...]
            guard let end = rest.dropFirst().firstIndex(of: close) else { return nil }
            return String(rest[rest.index(after: rest.startIndex) ..< end])
        }
        descr = field("descr", "'") ?? ""
        shape = (field("shape", ")") ?? "").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard header.contains("'fortran_order': False"), (bytes.count - start) == 4 * shape.reduce(1, *) else {
            throw ProgramError.failed(command: "read \(path)", status: 0, output: "data size does not match shape \(shape)")
        }
        values = stride(from: start, to: bytes.count, by: 4).map { i in
            Float(bitPattern: UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
        }
    }
}
