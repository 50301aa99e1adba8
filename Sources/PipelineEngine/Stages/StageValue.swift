/// A parameter value after validation.
public enum StageValue: Sendable, Equatable {
    case number(Double)
    case integer(Int)
    case boolean(Bool)
    case string(String)
    /// `[width, height]`.
    case size(width: Int, height: Int)
    /// The model package folder, resolved against the pipeline file's folder.
    case model(path: String)
}
