// Pretty-printed JSON output for reports (`hdrec inspect`): keeps member order,
// prints numbers as given (floats in Swift's shortest round-trip form).

extension JSONValue {
    static func float(_ f: Float) -> JSONValue { f.isFinite ? .number("\(f)") : .string("\(f)") }
    static func double(_ d: Double) -> JSONValue { d.isFinite ? .number("\(d)") : .string("\(d)") }
    static func int(_ i: Int) -> JSONValue { .number(String(i)) }
    static func ints(_ a: [Int]) -> JSONValue { .array(a.map(JSONValue.int)) }
    static func members(_ pairs: [(String, JSONValue)]) -> JSONValue {
        .object(pairs.map { JSONMember(key: $0.0, value: $0.1, offset: 0) })
    }

    /// Two-space indented JSON; arrays of scalars stay on one line.
    func pretty(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        let inner = String(repeating: "  ", count: indent + 1)
        switch self {
        case let .array(items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy({ if case .array = $0 { return false }; if case .object = $0 { return false }; return true }) {
                return "[" + items.map { $0.pretty() }.joined(separator: ", ") + "]"
            }
            return "[\n" + items.map { inner + $0.pretty(indent: indent + 1) }.joined(separator: ",\n") + "\n" + pad + "]"
        case let .object(members):
            if members.isEmpty { return "{}" }
            return "{\n" + members.map { inner + StrictJSON.quote($0.key) + ": " + $0.value.pretty(indent: indent + 1) }
                .joined(separator: ",\n") + "\n" + pad + "}"
        default:
            return PEFTAdapterConfig.render(self)
        }
    }
}
