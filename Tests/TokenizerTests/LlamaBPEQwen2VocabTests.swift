// llama.cpp's own test vectors for the Llama 3 (llama-bpe) and Qwen2 vocabularies
// (models/ggml-vocab-{llama-bpe,qwen2}.gguf with .inp/.out, tests/test-tokenizer-0.cpp):
// every case must give exactly the listed ids. The files are not committed (licences:
// Tools/fetch_vocab_models.sh); `make vocab-models` (run by `make test`) puts them in
// models/vocab/, and without them these tests are skipped with the reason shown.
import Foundation
import Testing
@testable import Tokenizer

@Suite("llama.cpp llama-bpe and qwen2 test vectors")
struct LlamaBPEQwen2VocabTests {
    static let vocabularies = ["llama-bpe", "qwen2"]

    @Test("every .inp case tokenizes to the .out ids", .enabled(if: ModelFixtures.vocabFilesPresent, ModelFixtures.vocabMissing),
          arguments: vocabularies)
    func allCases(vocabulary: String) throws {
        let path = try #require(ModelFixtures.vocabPath(vocabulary))
        let tok = try Tokenizer(ggufPath: path)
        let cases = try VocabVectors.load(gguf: path)
        #expect(cases.count == 46)
        var passed = 0
        for (input, expected) in cases {
            let got = tok.encode(bytes: input)
            #expect(got == expected, "\(vocabulary): input \(String(decoding: input, as: UTF8.self).debugDescription)")
            if got == expected { passed += 1 }
        }
        print("\(vocabulary): \(passed)/\(cases.count) llama.cpp vectors match")
    }

    struct Titles: Decodable {
        let titles: [String]
        let ids: [String: [[Int32]]]
    }

    @Test("item titles tokenize to llama.cpp's ids", .enabled(if: ModelFixtures.vocabFilesPresent, ModelFixtures.vocabMissing),
          arguments: vocabularies)
    func titles(vocabulary: String) throws {
        // Tools/make_arch_fixtures.py: 200 titles of datasets/amazon-scientific in prompt form.
        let url = ModelFixtures.fixturesDir.appendingPathComponent("goldens/vocab-titles.json")
        let golden = try JSONDecoder().decode(Titles.self, from: Data(contentsOf: url))
        let expected = try #require(golden.ids[vocabulary])
        let tok = try Tokenizer(ggufPath: try #require(ModelFixtures.vocabPath(vocabulary)))
        #expect(golden.titles.count == 200 && expected.count == 200)
        var passed = 0
        for (title, ids) in zip(golden.titles, expected) {
            let got = tok.encode(title)
            #expect(got == ids, "\(vocabulary): \(title.debugDescription)")
            if got == ids { passed += 1 }
        }
        print("\(vocabulary): \(passed)/\(golden.titles.count) item titles match llama.cpp")
    }

    @Test("the vocabulary's pre-tokenizer, flags and special ids are read",
          .enabled(if: ModelFixtures.vocabFilesPresent, ModelFixtures.vocabMissing))
    func metadata() throws {
        let llama3 = try Tokenizer(ggufPath: try #require(ModelFixtures.vocabPath("llama-bpe")))
        #expect(llama3.preTokenizer == .llama3)
        #expect(llama3.vocabularySize == 128_256)
        #expect(llama3.bosID == 128_000)
        #expect(llama3.addBOSByDefault)
        #expect(llama3.endOfGenerationIDs.contains(128_009))  // <|eot_id|>
        let qwen2 = try Tokenizer(ggufPath: try #require(ModelFixtures.vocabPath("qwen2")))
        #expect(qwen2.preTokenizer == .qwen2)
        #expect(qwen2.vocabularySize == 151_936)
        #expect(!qwen2.addBOSByDefault)
        #expect(qwen2.eosID == 151_643)
        // The one rule that separates the two: Qwen2 splits digits one by one.
        #expect(qwen2.encode("2024").count == 4)
        #expect(llama3.encode("2024").count == 2)
    }
}
