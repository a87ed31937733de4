// How a typed document's property names are spelled in the file. snake_case follows the
// convention of Foundation's key strategies, so files they wrote read back unchanged:
// writing splits words at capitals, keeping an acronym whole ("baseURLPath" ->
// "base_url_path"); reading joins underscore-separated words with the later ones
// capitalized ("item_count" -> "itemCount"), keeping leading and trailing underscores.
// Keys of String-keyed dictionaries are data, not property names: never converted.

public enum JSONKeyStrategy: Sendable, Equatable {
    /// Property names as written in the type.
    case asIs
    /// camelCase properties as snake_case keys.
    case snakeCase

    /// The file's spelling of property `name`.
    func fileKey(_ name: String) -> String {
        self == .snakeCase ? Self.snakeCased(name) : name
    }

    /// The property name a file's `key` stands for.
    func propertyName(_ key: String) -> String {
        self == .snakeCase ? Self.camelCased(key) : key
    }

    static func snakeCased(_ name: String) -> String {
        let chars = Array(name)
        guard chars.count > 1 else { return name.lowercased() }
        var out = ""
        for (k, ch) in chars.enumerated() {
            if k > 0, ch.isUppercase {
                let previous = chars[k - 1]
                let nextIsLower = k + 1 < chars.count && chars[k + 1].isLowercase
                // A new word begins after a non-capital, or at the last capital of an
                // acronym that a lowercase word follows ("URLPath": "url", "path").
                if !previous.isUppercase || nextIsLower { out += "_" }
            }
            out += ch.lowercased()
        }
        return out
    }

    static func camelCased(_ key: String) -> String {
        guard let first = key.firstIndex(where: { $0 != "_" }) else { return key }
        let last = key.lastIndex(where: { $0 != "_" })!
        let core = key[first ... last]
        guard core.contains("_") else { return key }
        let words = core.split(separator: "_", omittingEmptySubsequences: false)
        var out = String(key[..<first]) + String(words[0])
        for word in words.dropFirst() {
            guard let head = word.first else { continue }
            out += head.uppercased() + word.dropFirst().lowercased()
        }
        return out + String(key[key.index(after: last)...])
    }
}
