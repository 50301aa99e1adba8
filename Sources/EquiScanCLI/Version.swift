import Foundation

/// What `equiscan --version` prints: the release version, and the git revision when the
/// binary sits inside a git checkout (a development build), found without running git.
enum Version {
    /// The release version (semantic versioning).
    static let release = "0.1.0"

    /// `0.1.0`, or `0.1.0 (git 1a2b3c4d5e6f)` for a binary built inside a checkout.
    static var text: String {
        let executable = (Bundle.main.executableURL
            ?? URL(fileURLWithPath: CommandLine.arguments[0])).resolvingSymlinksInPath()
        guard let revision = revision(above: executable.deletingLastPathComponent()) else {
            return release
        }
        return "\(release) (git \(revision.prefix(12)))"
    }

    /// The commit checked out in the nearest git work tree at or above `folder`.
    static func revision(above folder: URL) -> String? {
        var current = folder.standardizedFileURL
        while true {
            let dotGit = current.appendingPathComponent(".git")
            if let gitDir = gitDirectory(dotGit) {
                return head(gitDir: gitDir)
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { return nil }
            current = parent
        }
    }

    /// The git directory a `.git` folder or `gitdir:` file (a linked work tree) stands for.
    private static func gitDirectory(_ dotGit: URL) -> URL? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isFolder) else {
            return nil
        }
        if isFolder.boolValue { return dotGit }
        guard let text = read(dotGit), text.hasPrefix("gitdir:") else { return nil }
        let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespaces)
        return URL(fileURLWithPath: path, relativeTo: dotGit.deletingLastPathComponent())
    }

    /// HEAD's commit: a detached hash, or the branch's ref as a loose file or in packed-refs
    /// (a linked work tree keeps its refs in the common directory).
    private static func head(gitDir: URL) -> String? {
        guard let head = read(gitDir.appendingPathComponent("HEAD")) else { return nil }
        guard head.hasPrefix("ref:") else { return isHash(head) ? head : nil }
        let ref = head.dropFirst("ref:".count).trimmingCharacters(in: .whitespaces)
        var folders = [gitDir]
        if let common = read(gitDir.appendingPathComponent("commondir")) {
            folders.append(URL(fileURLWithPath: common, relativeTo: gitDir).standardizedFileURL)
        }
        for folder in folders {
            if let hash = read(folder.appendingPathComponent(ref)), isHash(hash) {
                return hash
            }
            let packed = read(folder.appendingPathComponent("packed-refs")) ?? ""
            for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) {
                return String(line.prefix { $0 != " " })
            }
        }
        return nil
    }

    private static func read(_ url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func isHash(_ text: String) -> Bool {
        text.count >= 40 && text.allSatisfy(\.isHexDigit)
    }
}
