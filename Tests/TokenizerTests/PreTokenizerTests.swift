// The pre-tokenizer scanners against hand-checked splits of the regexes they
// implement (see PreTokenizer.swift for the regexes).
import Testing
@testable import Tokenizer

@Suite("Pre-tokenizers")
struct PreTokenizerTests {
    static func split(_ pre: PreTokenizer, _ text: String) -> [String] {
        let cps = text.unicodeScalars.map(\.value)
        var start = 0
        return pre.split(cps).map { length in
            defer { start += length }
            return String(String.UnicodeScalarView(cps[start..<(start + length)].compactMap(Unicode.Scalar.init)))
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var pre: PreTokenizer
        var text: String
        var pieces: [String]
        var testDescription: String { "\(pre) \(text.debugDescription)" }
    }

    static let cases: [Case] = [
        // GPT-2: contractions, optional leading space, \s+(?!\S) leaves one space for the next word
        Case(pre: .gpt2, text: "Hello world's  test 123!?", pieces: ["Hello", " world", "'s", " ", " test", " 123", "!?"]),
        Case(pre: .gpt2, text: "don't  \n x", pieces: ["don", "'t", "  \n", " x"]),
        Case(pre: .gpt2, text: "a\tb", pieces: ["a", "\t", "b"]),
        Case(pre: .gpt2, text: "end  ", pieces: ["end", "  "]),
        Case(pre: .gpt2, text: "IT'S", pieces: ["IT", "'", "S"]),
        // SmolLM: every digit alone first, then GPT-2
        Case(pre: .smollm, text: "abc 2024 x1", pieces: ["abc", " ", "2", "0", "2", "4", " x", "1"]),
        Case(pre: .smollm, text: "½²", pieces: ["½", "²"]),
        // Llama 3: digits in threes, case-insensitive contractions, one non-letter may lead a word
        Case(pre: .llama3, text: "1234567 IT'S", pieces: ["123", "456", "7", " IT", "'S"]),
        Case(pre: .llama3, text: "x\n\n  y", pieces: ["x", "\n\n", " ", " y"]),
        Case(pre: .llama3, text: "$hello ...\n", pieces: ["$hello", " ...\n"]),
        Case(pre: .llama3, text: "a ", pieces: ["a", " "]),
        // Qwen2: the Llama 3 rules with every digit alone
        Case(pre: .qwen2, text: "1234567 IT'S", pieces: ["1", "2", "3", "4", "5", "6", "7", " IT", "'S"]),
        Case(pre: .qwen2, text: "x\n\n  y", pieces: ["x", "\n\n", " ", " y"]),
        Case(pre: .qwen2, text: "$hello ...\n", pieces: ["$hello", " ...\n"]),
        // default: punctuation runs, GPT-2, number runs, then ASCII digit triples
        Case(pre: .defaultBPE, text: "Hi, $12345!", pieces: ["Hi", ",", " ", "$", "123", "45", "!"]),
        Case(pre: .defaultBPE, text: "a+b=c`d", pieces: ["a", "+", "b", "=", "c", "`", "d"]),
    ]

    @Test("splits match the regex", arguments: cases)
    func splits(_ c: Case) {
        #expect(Self.split(c.pre, c.text) == c.pieces)
    }

    @Test("pieces always cover the input exactly, whatever it contains")
    func coverage() {
        var rng = SplitMix(seed: 7)
        let alphabet: [UInt32] = [0x20, 0x0A, 0x0D, 0x09, 0x27, 0x61, 0x41, 0x73, 0x31, 0x2C, 0xE9, 0x4E2D,
                                  0x1F600, 0x2003, 0xD800, 0x110000, 0x0660, 0x00BD, 0x24]
        for _ in 0..<300 {
            let cps = (0..<Int(rng.next() % 20)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            for pre in PreTokenizer.allCases {
                let lengths = pre.split(cps)
                #expect(lengths.allSatisfy { $0 > 0 })
                #expect(lengths.reduce(0, +) == cps.count)
            }
        }
    }

    @Test("tokenizer.ggml.pre names resolve with llama.cpp's aliases")
    func names() {
        #expect(PreTokenizer(name: nil) == .defaultBPE)
        #expect(PreTokenizer(name: "default") == .defaultBPE)
        #expect(PreTokenizer(name: "smollm") == .smollm)
        #expect(PreTokenizer(name: "llama-bpe") == .llama3)
        #expect(PreTokenizer(name: "llama3") == .llama3)
        #expect(PreTokenizer(name: "gpt-2") == .gpt2)
        #expect(PreTokenizer(name: "qwen2") == .qwen2)
        #expect(PreTokenizer(name: "qwen35") == nil)
    }
}

/// A tiny deterministic generator for property tests.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
