import StrictJSON

extension StageParameter.Kind {
    /// The largest width or height a `.size` accepts, in pixels.
    static let largestSide = 65536

    /// The value of `node`, or a `ConfigError` quoting it and saying what was expected.
    func read(_ node: ConfigNode) throws -> StageValue {
        switch self {
        case .number:
            return .number(try node.number())
        case .percentage:
            return .number(try node.number(in: 0...100))
        case .unitInterval:
            return .number(try node.number(in: 0...1))
        case .fraction:
            guard case .number(let value, _) = node.value, value >= 0, value < 1 else {
                throw node.mismatch("a number from 0 up to, not including, 1")
            }
            return .number(value)
        case .integer(let range):
            return .integer(try node.integer(in: range))
        case .boolean:
            return .boolean(try node.bool())
        case .choice(let names):
            guard case .string(let value) = node.value, names.contains(value) else {
                throw node.mismatch("one of " + names.map(JSONValue.escape)
                    .joined(separator: ", "))
            }
            return .string(value)
        case .size:
            let items = try node.array(count: 2...2)
            let expected = "[width, height] of positive whole numbers"
            guard case .number(let width, _) = items[0].value,
                  case .number(let height, _) = items[1].value,
                  width.rounded() == width, height.rounded() == height,
                  width >= 1, height >= 1, width <= Double(Self.largestSide),
                  height <= Double(Self.largestSide) else {
                throw node.mismatch(expected)
            }
            return .size(width: Int(width), height: Int(height))
        case .model:
            return .model(path: try node.nonEmptyString())
        }
    }
}
