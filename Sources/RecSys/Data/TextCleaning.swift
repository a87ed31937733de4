// Item text cleaning, applied to every text field (title, brand, categories,
// description) at `hdrec prepare` time, the same for every input format:
//   1. HTML tags are removed: `<` followed by a letter, `/` or `!`, up to the next `>`
//      (`<br>` and `</p>` become a space so words don't run together);
//   2. HTML entities are decoded: numeric (`&#233;`, `&#xE9;`) and a table of
//      common named ones (`&amp;`, `&nbsp;`, `&reg;`, ...); unknown ones stay as written;
//   3. control characters, tabs and newlines become spaces, whitespace runs
//      collapse to one space, and the ends are trimmed.
// Tags go before entities, so an escaped `&lt;b&gt;` survives as the text "<b>".
// The reference preprocessing (docs/public-code.md §1) strips tags and
// tabs/newlines only for its RecBole export; here all outputs share one cleaning.

/// HTML-aware text normalisation for item metadata.
public enum TextCleaning {
    /// A one-paragraph description recorded in each dataset's manifest.
    public static let summary = "HTML tags removed; numeric and common named HTML entities decoded; control characters, tabs and newlines turned into spaces; whitespace collapsed and trimmed."

    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ",
        "reg": "®", "trade": "™", "copy": "©", "deg": "°", "times": "×", "divide": "÷",
        "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“", "rdquo": "”",
        "bull": "•", "middot": "·", "frac12": "½", "frac14": "¼", "frac34": "¾", "plusmn": "±",
        "micro": "µ", "sup2": "²", "sup3": "³", "ohm": "Ω", "Omega": "Ω", "eacute": "é", "egrave": "è",
        "aacute": "á", "agrave": "à", "iacute": "í", "oacute": "ó", "uacute": "ú", "ntilde": "ñ",
        "uuml": "ü", "ouml": "ö", "auml": "ä", "Uuml": "Ü", "Ouml": "Ö", "Auml": "Ä", "szlig": "ß",
        "ccedil": "ç", "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "sect": "§", "para": "¶",
        "laquo": "«", "raquo": "»", "larr": "←", "rarr": "→", "le": "≤", "ge": "≥", "ne": "≠",
        "asymp": "≈", "infin": "∞", "shy": "",
    ]

    /// Cleans one text field.
    public static func clean(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var noTags = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            if c == "<", i + 1 < scalars.count,
               scalars[i + 1].properties.isAlphabetic || scalars[i + 1] == "/" || scalars[i + 1] == "!",
               let close = scalars[(i + 1)...].firstIndex(of: ">") {
                noTags.append(" ")
                i = close + 1
                continue
            }
            noTags.append(c)
            i += 1
        }
        let decoded = decodeEntities(Array(noTags))
        var out = ""
        out.reserveCapacity(decoded.count)
        var pendingSpace = false
        for c in decoded {
            let isSpace = c.properties.isWhitespace || c.value < 0x20 || c.value == 0x7F || (c.value >= 0x80 && c.value < 0xA0)
            if isSpace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.unicodeScalars.append(c)
            }
        }
        return out
    }

    private static func decodeEntities(_ s: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var i = 0
        while i < s.count {
            if s[i] == "&", let semi = s[(i + 1)..<min(s.count, i + 12)].firstIndex(of: ";"), semi > i + 1 {
                let body = String(String.UnicodeScalarView(s[(i + 1)..<semi]))
                var decoded: [Unicode.Scalar]?
                if body.hasPrefix("#x") || body.hasPrefix("#X") {
                    if let v = UInt32(body.dropFirst(2), radix: 16), let u = Unicode.Scalar(v) { decoded = [u] }
                } else if body.hasPrefix("#") {
                    if let v = UInt32(body.dropFirst(1)), let u = Unicode.Scalar(v) { decoded = [u] }
                } else if let r = named[body] {
                    decoded = Array(r.unicodeScalars)
                }
                if let decoded {
                    out.append(contentsOf: decoded)
                    i = semi + 1
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }
        return out
    }
}
