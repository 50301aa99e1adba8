/// A case that cannot go through a stage: the reason, naming the file; the executor adds the
/// stage.
struct StageFailure: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) {
        self.message = message
    }

    var description: String { message }
}
