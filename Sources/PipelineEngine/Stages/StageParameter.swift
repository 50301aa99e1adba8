/// One parameter of a stage op: its key, the values it accepts and its default.
public struct StageParameter: Sendable {
    /// The values a parameter accepts.
    public enum Kind: Sendable, Equatable {
        /// Any finite number.
        case number
        /// A number from 0 to 100 (a percentile).
        case percentage
        /// A number from 0 to 1 inclusive.
        case unitInterval
        /// A number from 0 up to, not including, 1 (a window overlap).
        case fraction
        /// A whole number inside the range.
        case integer(ClosedRange<Int>)
        /// `true` or `false`.
        case boolean
        /// One of the listed strings.
        case choice([String])
        /// `[width, height]` in pixels, both positive whole numbers.
        case size
        /// A model package folder, relative to the pipeline file.
        case model
    }

    public let name: String
    public let kind: Kind
    /// The value used when the key is absent; nil when the key is required (or, for
    /// `AsDiscrete`, governed by a rule across keys).
    public let defaultValue: StageValue?
    /// Whether the key must be present.
    public let isRequired: Bool

    init(_ name: String, _ kind: Kind) {
        self.name = name
        self.kind = kind
        self.defaultValue = nil
        self.isRequired = true
    }

    init(_ name: String, _ kind: Kind, default defaultValue: StageValue?) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.isRequired = false
    }
}
