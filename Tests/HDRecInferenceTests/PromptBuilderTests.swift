// Prompt construction (docs/public-code.md §2.1-2.4) with a character-level
// test tokenizer, so every expected sequence can be written out by hand.
import Foundation
import Testing
@testable import HDRecInference

/// One token per character (its code point + 1000); `[SEQ]` = 1 and `[ALIGN]` = 2
/// only when special tokens are parsed. Records every call.
final class CharacterTokenizer: PromptTokenizer, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var calls: [(String, Bool)] = []

    func promptTokens(_ text: String, parseSpecial: Bool) throws -> [Int32] {
        lock.withLock { calls.append((text, parseSpecial)) }
        var out: [Int32] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            if parseSpecial, rest.hasPrefix("[SEQ]") { out.append(1); rest = rest.dropFirst(5); continue }
            if parseSpecial, rest.hasPrefix("[ALIGN]") { out.append(2); rest = rest.dropFirst(7); continue }
            out.append(Int32(rest.unicodeScalars.first!.value) + 1000)
            rest = Substring(rest.unicodeScalars.dropFirst())
        }
        return out
    }
}

func chars(_ s: String) -> [Int32] { s.unicodeScalars.map { Int32($0.value) + 1000 } }

@Suite("Prompt building")
struct PromptBuilderTests {
    let catalog = try! Catalog(items: [
        CatalogItem(id: "a", title: "Ab", brand: "X"),
        CatalogItem(id: "b", title: "C", brand: ""),          // empty brand drops its chunk
        CatalogItem(id: "c", title: "Dd", brand: nil),
        CatalogItem(id: "d", title: "a [SEQ] title", brand: "Y"),
    ])
    let config = PromptConfiguration(userInstruction: "U [SEQ]: ", itemInstruction: "I [ALIGN]: ")

    func builder(_ c: PromptConfiguration? = nil) throws -> PromptBuilder {
        try PromptBuilder(tokenizer: CharacterTokenizer(), catalog: catalog, configuration: c ?? config)
    }

    @Test("item text is 'title: T' then ', brand: B', each chunk alone and capped; empty brand dropped")
    func itemText() throws {
        let tok = CharacterTokenizer()
        let t = try ItemTextTokens(catalog: catalog, tokenizer: tok, configuration: config)
        #expect(t.tokens[0] == chars("title: Ab") + chars(", brand: X"))
        #expect(t.tokens[1] == chars("title: C"))
        #expect(t.tokens[2] == chars("title: Dd"))
        // Markup in item text stays text.
        #expect(t.tokens[3] == chars("title: a [SEQ] title") + chars(", brand: Y"))
        #expect(tok.calls.map(\.0).prefix(2) == ["title: Ab", ", brand: X"], "each chunk is tokenized on its own")
        #expect(tok.calls.allSatisfy { !$0.1 })

        var capped = config
        capped.maxAttributeTokens = 8
        let c = try ItemTextTokens(catalog: catalog, tokenizer: tok, configuration: capped)
        // The cap counts the "title: " and ", brand: " prefixes.
        #expect(c.tokens[0] == chars("title: A") + chars(", brand:"))
    }

    @Test("instructions parse [SEQ]/[ALIGN] as the special tokens; no BOS")
    func instructions() throws {
        let b = try builder()
        #expect(b.seqToken == 1 && b.alignToken == 2)
        #expect(b.userPrefix == chars("U ") + [1] + chars(": "))
        #expect(b.itemPrefix == chars("I ") + [2] + chars(": "))
    }

    @Test("T2 and T3: items then [SEQ] with no separator, every [SEQ] supervised with the next item")
    func userPrompts() throws {
        let b = try builder()
        let p = try b.userPrompts(history: [0, 2, 1], label: 3)
        let pre = b.userPrefix
        let a = chars("title: Ab") + chars(", brand: X"), c = chars("title: Dd"), bb = chars("title: C")
        #expect(p.text.tokens == pre + a + [1] + c + [1] + bb + [1])
        let s1 = pre.count + a.count, s2 = s1 + c.count + 1, s3 = s2 + bb.count + 1
        #expect(p.text.supervision == [Supervision(position: s1, target: 2), Supervision(position: s2, target: 1),
                                       Supervision(position: s3, target: 3)])
        #expect(p.text.readPosition == s3 && p.text.readPosition == p.text.count - 1)
        #expect(p.text.prefixLength == pre.count)
        #expect(p.text.items == [0, 2, 1])

        let slot = PromptBuilder.itemSlotToken
        #expect(p.id.tokens == pre + [slot, 1, slot, 1, slot, 1])
        let n = pre.count
        #expect(p.id.itemSlots == [ItemSlot(position: n, item: 0), ItemSlot(position: n + 2, item: 2), ItemSlot(position: n + 4, item: 1)])
        #expect(p.id.supervision.map(\.target) == [2, 1, 3])
        #expect(p.id.supervision.map(\.position) == [n + 1, n + 3, n + 5])
        #expect(p.id.readPosition == n + 5)
    }

    @Test("inference: the last [SEQ] is read but not supervised")
    func inference() throws {
        let p = try builder().userPrompts(history: [3, 0])
        #expect(p.text.supervision.map(\.target) == [0])
        #expect(p.id.supervision.map(\.target) == [0])
        #expect(p.text.tokens.last == 1 && p.id.tokens.last == 1)
    }

    @Test("window step: past maxItems the oldest items go in blocks, so the window's start holds for step requests")
    func windowStep() throws {
        var c = config
        c.maxItems = 4
        c.windowStep = 2
        let b = try builder(c)
        let history = [0, 1, 2, 3, 0, 1, 2, 3]
        #expect(try b.selectHistory(Array(history.prefix(4))) == [0, 1, 2, 3])
        #expect(try b.selectHistory(Array(history.prefix(5))) == [2, 3, 0])        // 1 over: 2 dropped
        #expect(try b.selectHistory(Array(history.prefix(6))) == [2, 3, 0, 1])     // same start
        #expect(try b.selectHistory(Array(history.prefix(7))) == [0, 1, 2])        // 3 over: 4 dropped
        c.windowStep = 1
        #expect(try builder(c).selectHistory(Array(history.prefix(7))) == [3, 0, 1, 2])
        c.windowStep = 5
        #expect(throws: HDRecInferenceError.self) { try c.validate() }
        let old = #"{"attributes":["title"],"item_instruction":"i","max_attribute_tokens":8,"max_items":8,"max_tokens":64,"user_instruction":"u"}"#
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        #expect(try decoder.decode(PromptConfiguration.self, from: Data(old.utf8)).windowStep == 1)
    }

    @Test("history: last maxItems, then oldest dropped under the token budget; ID prompt keeps the same items")
    func truncation() throws {
        var c = config
        c.maxItems = 3
        #expect(try builder(c).selectHistory([0, 1, 2, 3, 0]) == [2, 3, 0])
        // Item token counts: 0 → 19, 1 → 8, 2 → 9.
        c.maxItems = 30
        c.maxTokens = 28   // 8 + 9 = 17 < 28; + 19 = 36 ≥ 28 → stop
        let b = try builder(c)
        #expect(try b.selectHistory([0, 1, 2]) == [1, 2])
        c.maxTokens = 37   // 36 < 37 keeps all three
        #expect(try builder(c).selectHistory([0, 1, 2]) == [0, 1, 2])
        c.maxTokens = 36   // strictly less: 36 is not < 36
        #expect(try builder(c).selectHistory([0, 1, 2]) == [1, 2])
        c.maxTokens = 1    // the most recent item is always kept
        #expect(try builder(c).selectHistory([0, 1, 2]) == [2])
        let p = try b.userPrompts(history: [0, 1, 2], label: 0)
        #expect(p.text.items == [1, 2] && p.id.items == [1, 2])
        #expect(p.id.itemSlots.map(\.item) == [1, 2])
        #expect(p.text.supervision.map(\.target) == p.id.supervision.map(\.target))
    }

    @Test("T1 alignment and the optional ID alignment")
    func alignment() throws {
        let b = try builder()
        let t = try b.alignmentPrompt(item: 1)
        #expect(t.tokens == b.itemPrefix + chars("title: C") + [2])
        #expect(t.supervision == [Supervision(position: t.count - 1, target: 1)])
        let i = try b.idAlignmentPrompt(item: 1)
        #expect(i.tokens == b.itemPrefix + [PromptBuilder.itemSlotToken, 2])
        #expect(i.itemSlots == [ItemSlot(position: b.itemPrefix.count, item: 1)])
    }

    @Test("bad input: empty history, unknown items, unregistered special tokens")
    func badInput() throws {
        let b = try builder()
        #expect(throws: HDRecInferenceError.emptyHistory) { try b.userPrompts(history: []) }
        #expect(throws: HDRecInferenceError.itemOutOfRange(index: 4, itemCount: 4)) { try b.userPrompts(history: [0, 4]) }
        #expect(throws: HDRecInferenceError.itemOutOfRange(index: -1, itemCount: 4)) { try b.userPrompts(history: [0], label: -1) }
        struct Plain: PromptTokenizer {
            func promptTokens(_ text: String, parseSpecial: Bool) throws -> [Int32] { text.unicodeScalars.map { Int32($0.value) } }
        }
        #expect(throws: HDRecInferenceError.self) { try PromptBuilder(tokenizer: Plain(), catalog: catalog) }
    }
}
