extension JSONValue {
    /// The value as indented JSON text with every object's keys sorted, so that the same value
    /// always gives the same bytes (for generated files that are committed and compared).
    ///
    /// Layout: two spaces per level, `"key": value`, one member or item per line; an array
    /// of scalars stays on one line (`"enum": ["png", "tiff"]`), and empty arrays and objects
    /// are `[]` and `{}`. No final newline.
    public var sortedPrettyText: String {
        var out = ""
        writePretty(to: &out, depth: 0)
        return out
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }

    private func writePretty(to out: inout String, depth: Int) {
        let inner = String(repeating: "  ", count: depth + 1)
        let closing = String(repeating: "  ", count: depth)
        switch self {
        case .array(let items) where items.allSatisfy(\.isScalar):
            out += "[" + items.map(\.compactText).joined(separator: ", ") + "]"
        case .array(let items):
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += inner
                item.writePretty(to: &out, depth: depth + 1)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += closing + "]"
        case .object(let members) where members.isEmpty:
            out += "{}"
        case .object(let members):
            out += "{\n"
            let sorted = members.sorted { $0.key < $1.key }
            for (index, member) in sorted.enumerated() {
                out += inner + JSONValue.escape(member.key) + ": "
                member.value.writePretty(to: &out, depth: depth + 1)
                out += index == sorted.count - 1 ? "\n" : ",\n"
            }
            out += closing + "}"
        default:
            out += compactText
        }
    }
}
