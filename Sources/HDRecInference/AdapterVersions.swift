// Which adapter pair produced an answer: the first 12 hex digits of the sha256 of each
// adapter's adapter_model.safetensors (BundleLayout.adapterVersion). Responses, /readyz,
// swaps and metrics report it; a struct rather than a dictionary, since a bundle always
// has both adapters.
import JSON

public struct AdapterVersions: Sendable, Equatable, Hashable {
    public var text: String
    public var id: String

    public init(text: String, id: String) {
        self.text = text
        self.id = id
    }

    public subscript(_ role: AdapterRole) -> String { role == .text ? text : id }

    /// {"text": ..., "id": ...}, as every endpoint that names adapters shows them.
    public var json: JSONValue { .object([("text", .string(text)), ("id", .string(id))]) }
}
