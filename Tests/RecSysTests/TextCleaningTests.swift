// The documented text cleaning: tags out, entities decoded, whitespace normalised.
import Testing
@testable import RecSys

@Suite("Text cleaning")
struct TextCleaningTests {
    @Test("HTML tags are removed and separate words; entities are decoded after tag removal")
    func tagsAndEntities() {
        #expect(TextCleaning.clean("<p>Hello<br/>world</p>") == "Hello world")
        #expect(TextCleaning.clean("Fish &amp; Chips &#233;t&#xE9; 5&nbsp;mm &reg;") == "Fish & Chips été 5 mm ®")
        #expect(TextCleaning.clean("&lt;b&gt;bold&lt;/b&gt;") == "<b>bold</b>")
        #expect(TextCleaning.clean("a < b and c > d") == "a < b and c > d")
        #expect(TextCleaning.clean("&unknown; &amp") == "&unknown; &amp")
    }

    @Test("tabs, newlines and runs of spaces collapse to single spaces and ends are trimmed")
    func whitespace() {
        #expect(TextCleaning.clean("  a\tb\n\nc \r\n d  ") == "a b c d")
        #expect(TextCleaning.clean("\u{1}x\u{7F}y") == "x y")
        #expect(TextCleaning.clean("   ") == "")
    }
}
