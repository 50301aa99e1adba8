import Foundation

/// Where each input's output goes inside an output folder, decided before any work starts so
/// that no two outputs collide and no output replaces an input.
///
/// Layout: `FOLDER/NAME` when every output name is distinct; otherwise the inputs' paths
/// relative to their deepest common folder are mirrored under FOLDER (as nnU-Net and
/// `equiscan run` do), so `a/scan.png` and `b/scan.png` become `FOLDER/a/scan.png` and
/// `FOLDER/b/scan.png`. Inputs that still map to one output (the same file named twice,
/// `scan.png` and `scan.jpg` both written as `scan.png`) are refused.
public enum OutputPaths {
    /// One output path per input, in input order. `name` maps an input's file name to its
    /// output's (for example `.jpg` to `.png`). Folders are not created here.
    public static func plan(inputs: [String], outputFolder: String,
                            name: (String) -> String = { $0 }) throws -> [String] {
        let absolute = inputs.map { URL(fileURLWithPath: $0).standardizedFileURL }
        let flat = absolute.map { name($0.lastPathComponent) }
        var outputs: [String]
        if Set(flat).count == flat.count {
            outputs = flat.map { (outputFolder as NSString).appendingPathComponent($0) }
        } else {
            let folders = absolute.map { $0.deletingLastPathComponent().pathComponents }
            var common = folders[0]
            for components in folders.dropFirst() {
                common = Array(zip(common, components).prefix { $0 == $1 }.map(\.0))
            }
            outputs = zip(absolute, folders).map { url, components in
                let relative = components.dropFirst(common.count) + [name(url.lastPathComponent)]
                return relative.reduce(outputFolder) { ($0 as NSString).appendingPathComponent($1) }
            }
        }
        var firstInput: [String: Int] = [:]
        for (index, output) in outputs.enumerated() {
            if let earlier = firstInput[output] {
                throw SafeFileError(.outputCollision, path: output,
                                    "both \(inputs[earlier]) and \(inputs[index]) would be "
                                    + "written here; give each input once, or rename one")
            }
            firstInput[output] = index
        }
        for output in outputs {
            if let input = inputs.first(where: { FileIdentity.same($0, output) }) {
                throw SafeFileError(.wouldOverwriteInput, path: output,
                                    "is the input \(input) (same file); choose another output "
                                    + "folder")
            }
        }
        return outputs
    }
}
