/// A request that an equivariant model cannot serve exactly, stated so a person can act on it.
public struct EquivarianceError: Error, Equatable, CustomStringConvertible {
    /// What went wrong, quoting the value and what was expected.
    public let message: String

    /// An error with the given message.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}
