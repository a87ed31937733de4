// HDRecModel over a stand-in decoder: which inputs each pass receives, and that
// recommend() equals IPL → fusion → top-k computed by hand from the same hidden states.
import Foundation
import JSON
import Testing
@testable import HDRecInference

/// Hidden state = the sum of the input rows, where a token's row is a fixed
/// function of its id; records what each pass received.
final class SummingDecoder: HDRecDecoder, @unchecked Sendable {
    let width: Int
    private let lock = NSLock()
    private(set) var received: [(AdapterRole, [[DecoderInput]])] = []
    init(width: Int) { self.width = width }

    func tokenRow(_ t: Int32) -> [Float] { (0 ..< width).map { Float(sin(Double(Int(t) * (width + 1) + $0))) * 0.5 } }

    func lastHiddenStates(_ sequences: [[DecoderInput]], spanEnds: [[Int]], sharedPrefixLength: Int,
                          adapter: AdapterRole) throws -> [Float] {
        #expect(sequences.allSatisfy { Array($0.prefix(sharedPrefixLength)) == Array(sequences[0].prefix(sharedPrefixLength)) })
        // One span per item after P_u, ascending, the last ending at the read position.
        #expect(zip(sequences, spanEnds).allSatisfy { s, ends in
            ends.last == s.count && ends.first.map { $0 > sharedPrefixLength } == true && zip(ends, ends.dropFirst()).allSatisfy { $0 < $1 }
        })
        lock.withLock { received.append((adapter, sequences)) }
        var out: [Float] = []
        for s in sequences {
            var h = [Float](repeating: adapter == .text ? 0 : 0.25, count: width)
            for input in s {
                let row: [Float]
                switch input {
                case let .token(t): row = tokenRow(t)
                case let .embedding(r): row = r
                }
                for j in 0 ..< width { h[j] += row[j] * 0.1 }
            }
            out += h
        }
        return out
    }
}

struct ModelFixture {
    let heads: HDRecHeads
    let catalog: Catalog
    let sasrec: [Float]
    let decoder: SummingDecoder
    let model: HDRecModel

    init(alpha: Float = 0.5) throws {
        heads = try HDRecHeads(tensors: try HeadsGolden.load().named, file: "golden")
        let d = heads.dimensions
        catalog = try Catalog(items: (0 ..< d.itemCount).map { CatalogItem(id: "item\($0)", title: "T\($0)", brand: $0 % 2 == 0 ? "B" : nil) })
        var g = SplitMix(seed: 3)
        sasrec = (0 ..< (d.itemCount + 1) * d.sasrecWidth).map { _ in g.float() }
        decoder = SummingDecoder(width: d.modelWidth)
        let prompts = try PromptBuilder(tokenizer: CharacterTokenizer(), catalog: catalog)
        model = try HDRecModel(decoder: decoder, prompts: prompts, heads: heads, sasrec: sasrec,
                               fusionDefaults: .init(alpha: alpha), versions: AdapterVersions(text: "t", id: "i"))
    }
}

@Suite("HDRecModel inference")
struct HDRecModelTests {
    @Test("the text pass gets text prompts, the ID pass projected SASRec rows; [SEQ] is the heads' row")
    func passInputs() throws {
        let f = try ModelFixture()
        _ = try f.model.passScores(histories: [[1, 4], [2]])
        #expect(f.decoder.received.map(\.0) == [.text, .id])
        let text = f.decoder.received[0].1, id = f.decoder.received[1].1
        #expect(text.count == 2 && id.count == 2)
        let prompts = try f.model.prompts.userPrompts(history: [1, 4])
        #expect(text[0].count == prompts.text.count)
        #expect(text[0].last == .embedding(f.heads.seqEmbedding))
        #expect(!text[0].contains { if case .token(let t) = $0 { return t == f.model.prompts.seqToken } else { return false } })
        // Item slot of item 4 = Proj(SASRec[5]).
        let d = f.heads.dimensions
        let expected = f.heads.projector(Array(f.sasrec[5 * d.sasrecWidth ..< 6 * d.sasrecWidth]), rows: 1)
        let slot = prompts.id.itemSlots[1]
        #expect(slot.item == 4)
        guard case let .embedding(row) = id[0][slot.position] else { Issue.record("slot is not an embedding"); return }
        for (a, b) in zip(row, expected) { #expect(abs(a - b) < 1e-5) }
    }

    @Test("recommend = IPL, fusion and top-k of the pass outputs", arguments: FusionMethod.allCases)
    func endToEnd(method: FusionMethod) throws {
        let f = try ModelFixture()
        let request = RecommendationRequest(history: [3, 1, 4], k: 4, fusion: method, alpha: 0.7, explain: true)
        let r = try f.model.recommend([request])[0]
        let s = try f.model.passScores(histories: [[3, 1, 4]])
        let fused = try Fusion.fuse(text: s.text[0], id: s.id[0], method: method, parameters: FusionParameters(alpha: 0.7))
        let top = TopK.select(fused.final, k: 4)
        #expect(r.items.map(\.index) == top.map(\.index))
        #expect(r.items.map(\.score) == top.map(\.score))
        #expect(r.items.map(\.textScore) == top.map { fused.text[$0.index] })
        #expect(r.items.map(\.idBoost) == top.map { fused.idBoost[$0.index] })
        #expect(r.fusion == method && r.alpha == 0.7 && r.usedHistory == [3, 1, 4])
        #expect(r.timing.total >= r.timing.fusion)
    }

    @Test("a batch gives the same answers as one request at a time; defaults come from the bundle")
    func batching() throws {
        let f = try ModelFixture(alpha: 0.3)
        let reqs = [RecommendationRequest(history: [0, 1], k: 3), RecommendationRequest(history: [5], k: 9),
                    RecommendationRequest(history: [2, 2, 8], k: 2, excludeHistory: true, exclude: [0])]
        let batch = try f.model.recommend(reqs)
        for (r, b) in zip(reqs, batch) {
            let one = try f.model.recommend([r])[0]
            #expect(one.items == b.items)
            #expect(b.alpha == 0.3 && b.fusion == .textDominant)
        }
        #expect(batch[0].items.allSatisfy { $0.textScore == nil && $0.idBoost == nil })
        #expect(!batch[2].items.contains { [0, 2, 8].contains($0.index) })
        #expect(batch[1].items.count == 9)
    }

    @Test("bad requests are rejected before any pass runs")
    func badRequests() throws {
        let f = try ModelFixture()
        let bad: [(RecommendationRequest, HDRecInferenceError)] = [
            (RecommendationRequest(history: []), .emptyHistory),
            (RecommendationRequest(history: [9], k: 3), .itemOutOfRange(index: 9, itemCount: 9)),
            (RecommendationRequest(history: [1], k: 0), .invalidParameter(name: "k", value: "0", expected: "an integer in 1...9")),
            (RecommendationRequest(history: [1], k: 10), .invalidParameter(name: "k", value: "10", expected: "an integer in 1...9")),
            (RecommendationRequest(history: [1], k: 3, alpha: 2), .invalidParameter(name: "alpha", value: "2.0", expected: "a number in [0, 1]")),
            (RecommendationRequest(history: [1], k: 3, exclude: [-1]), .itemOutOfRange(index: -1, itemCount: 9)),
        ]
        for (r, e) in bad {
            #expect(throws: e) { try f.model.recommend([r]) }
        }
        #expect(f.decoder.received.isEmpty)
    }

    @Test("mismatched parts are refused at load")
    func loadChecks() throws {
        let f = try ModelFixture()
        let prompts = try PromptBuilder(tokenizer: CharacterTokenizer(), catalog: f.catalog)
        #expect(throws: HDRecInferenceError.self) {
            try HDRecModel(decoder: SummingDecoder(width: 8), prompts: prompts, heads: f.heads, sasrec: f.sasrec, fusionDefaults: .init(alpha: 0.5))
        }
        #expect(throws: HDRecInferenceError.self) {
            try HDRecModel(decoder: f.decoder, prompts: prompts, heads: f.heads, sasrec: Array(f.sasrec.dropLast()), fusionDefaults: .init(alpha: 0.5))
        }
        let small = try PromptBuilder(tokenizer: CharacterTokenizer(), catalog: try Catalog(items: [CatalogItem(id: "x", title: "x")]))
        #expect(throws: HDRecInferenceError.self) {
            try HDRecModel(decoder: f.decoder, prompts: small, heads: f.heads, sasrec: f.sasrec, fusionDefaults: .init(alpha: 0.5))
        }
    }
}

@Test("the JSON response carries ids, titles, versions and explain fields in the /recommend shape; the command adds fusion, alpha and history")
func responseJSON() throws {
    let f = try ModelFixture()
    let r = try f.model.recommend([RecommendationRequest(history: [2, 3], k: 2, explain: true)])[0]
    let response = RecommendationResponse(r, catalog: f.catalog, versions: f.model.versions, explain: true)
    let body = response.json
    #expect(body.objectValue?.map(\.key) == ["items", "adapters", "timing_ms"])
    let items = try #require(body["items"]?.arrayValue)
    #expect(items.count == 2)
    #expect(items[0]["id"] == .string("item\(r.items[0].index)"))
    #expect(items[0]["title"] == .string("T\(r.items[0].index)"))
    #expect(items[0]["score"] == .number(Double(r.items[0].score)))
    #expect(items[0]["text_score"]?.doubleValue != nil && items[0]["id_boost"]?.doubleValue != nil)
    #expect(body["adapters"] == .object([("text", .string("t")), ("id", .string("i"))]))
    #expect(body["timing_ms"]?.objectValue?.map(\.key) == ["text_pass", "id_pass", "fusion", "total"])
    let command = response.commandJSON
    #expect(command.objectValue?.map(\.key) == ["items", "adapters", "timing_ms", "fusion", "alpha", "history_used"])
    #expect(command["history_used"] == .array([.string("item2"), .string("item3")]))
    #expect(command["alpha"] == .number(JSONNumber(shortest: r.alpha)!))
    #expect(try JSONValue.parse(command.serialized(.pretty)) == command)
    // Without explain the items carry no explain fields; a model built in memory names no adapters.
    let plain = RecommendationResponse(try f.model.recommend([RecommendationRequest(history: [2], k: 1)])[0], catalog: f.catalog,
                                       versions: nil, explain: false)
    #expect(!plain.json.serialized().contains("text_score"))
    #expect(plain.json["adapters"] == .null)
}
