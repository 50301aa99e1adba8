import Foundation

/// A strict reading of the HTML pages EquiScan writes, for tests: it refuses what a browser
/// would silently repair, so a page that passes is well-formed as written.
///
/// Checked: the `<!DOCTYPE html>` start; every start tag closed by its own end tag in nesting
/// order (void elements such as `img` and `meta` have none; inside `svg` an element may close
/// itself with `/>`); every attribute written `name="value"`, once per element; every `&`
/// starting a character reference (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;`, `&#NN;`,
/// `&#xHH;`); no `<` in text that does not start a tag; `script` and `style` contents
/// ending at their own end tag; ids unique.
public struct HTMLDocument {
    /// One element, in document order.
    public struct Element {
        public var name: String
        public var attributes: [String: String]
        /// The text inside, references decoded (raw for `script` and `style`).
        public var text: String
    }

    /// Why a page is not well-formed, with the line it was found on.
    public struct Problem: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public private(set) var elements: [Element] = []

    static let voidElements: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img",
                                            "input", "link", "meta", "source", "track", "wbr"]
    static let rawTextElements: Set<String> = ["script", "style"]
    static let references = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'",
                              "nbsp": "\u{A0}"]

    /// Reads `html`; throws the first problem found.
    public init(_ html: String) throws {
        var reader = Reader(Array(html.unicodeScalars))
        guard reader.skip("<!DOCTYPE html>", caseInsensitive: true) else {
            throw Problem(line: 1, message: "the page does not start with <!DOCTYPE html>")
        }
        var open: [Int] = []
        var ids: Set<String> = []
        func problem(_ message: String) -> Problem {
            Problem(line: reader.line, message: message)
        }
        func appendText(_ text: String) {
            for index in open { elements[index].text += text }
        }
        while !reader.atEnd {
            if reader.skip("<!--") {
                guard reader.skip(until: "-->") != nil else { throw problem("comment not closed") }
            } else if reader.skip("</") {
                let name = reader.name().lowercased()
                guard reader.skip(">") else { throw problem("</\(name) not closed by >") }
                guard let last = open.last, elements[last].name == name else {
                    throw problem("</\(name)> does not close the open element "
                                  + (open.last.map { "<\(elements[$0].name)>" } ?? "(none)"))
                }
                open.removeLast()
            } else if reader.peek("<") {
                reader.advance()
                let name = reader.name().lowercased()
                guard !name.isEmpty else { throw problem("'<' that does not start a tag") }
                var attributes: [String: String] = [:]
                var selfClosing = false
                while true {
                    reader.skipSpaces()
                    if reader.skip(">") { break }
                    if reader.skip("/>") {
                        selfClosing = true
                        break
                    }
                    let attribute = reader.name().lowercased()
                    guard !attribute.isEmpty else { throw problem("bad attribute in <\(name)>") }
                    guard reader.skip("=\"") else {
                        throw problem("attribute \(attribute) of <\(name)> is not written "
                                      + "name=\"value\"")
                    }
                    guard let raw = reader.skip(until: "\"") else {
                        throw problem("attribute \(attribute) of <\(name)> not closed")
                    }
                    guard attributes[attribute] == nil else {
                        throw problem("attribute \(attribute) twice in <\(name)>")
                    }
                    attributes[attribute] = try Self.decode(raw) { problem($0) }
                }
                if let id = attributes["id"] {
                    guard ids.insert(id).inserted else { throw problem("id \"\(id)\" twice") }
                }
                let inSVG = open.contains { elements[$0].name == "svg" } || name == "svg"
                if selfClosing && !Self.voidElements.contains(name) && !inSVG {
                    throw problem("<\(name)/> closes itself outside svg")
                }
                elements.append(Element(name: name, attributes: attributes, text: ""))
                let index = elements.count - 1
                if Self.rawTextElements.contains(name) && !selfClosing {
                    guard let content = reader.skip(until: "</\(name)>", caseInsensitive: true)
                    else { throw problem("<\(name)> not closed") }
                    if content.lowercased().contains("<!--") {
                        throw problem("<\(name)> holds '<!--'")
                    }
                    elements[index].text = content
                    appendText(content)
                } else if !selfClosing && !Self.voidElements.contains(name) {
                    open.append(index)
                }
            } else {
                let raw = reader.text()
                appendText(try Self.decode(raw) { problem($0) })
            }
        }
        if let last = open.last {
            throw Problem(line: reader.line, message: "<\(elements[last].name)> never closed")
        }
    }

    /// The elements named `name`.
    public func elements(named name: String) -> [Element] {
        elements.filter { $0.name == name }
    }

    /// The element with id `id`.
    public func element(id: String) -> Element? {
        elements.first { $0.attributes["id"] == id }
    }

    /// `raw` with its character references decoded; an `&` that starts none is a problem.
    static func decode(_ raw: String, _ problem: (String) -> Problem) throws -> String {
        var out = ""
        var rest = raw[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else {
                throw problem("'&' without a character reference")
            }
            let name = String(rest[rest.index(after: amp)..<semicolon])
            if let value = references[name] {
                out += value
            } else if name.hasPrefix("#x"), let code = UInt32(name.dropFirst(2), radix: 16),
                      let scalar = Unicode.Scalar(code) {
                out.unicodeScalars.append(scalar)
            } else if name.hasPrefix("#"), let code = UInt32(name.dropFirst()),
                      let scalar = Unicode.Scalar(code) {
                out.unicodeScalars.append(scalar)
            } else {
                throw problem("'&\(name);' is not a character reference")
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }

    /// A cursor over the page's scalars that counts lines.
    struct Reader {
        let scalars: [Unicode.Scalar]
        var position = 0
        var line = 1

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        var atEnd: Bool { position >= scalars.count }

        mutating func advance() {
            if scalars[position] == "\n" { line += 1 }
            position += 1
        }

        func peek(_ text: String, caseInsensitive: Bool = false) -> Bool {
            let wanted = Array(text.unicodeScalars)
            guard position + wanted.count <= scalars.count else { return false }
            for (offset, scalar) in wanted.enumerated() {
                let have = scalars[position + offset]
                if caseInsensitive {
                    guard Self.lower(have) == Self.lower(scalar) else { return false }
                } else if have != scalar {
                    return false
                }
            }
            return true
        }

        /// ASCII letters folded to lower case; other scalars as they are.
        static func lower(_ scalar: Unicode.Scalar) -> UInt32 {
            ("A"..."Z").contains(scalar) ? scalar.value + 32 : scalar.value
        }

        mutating func skip(_ text: String, caseInsensitive: Bool = false) -> Bool {
            guard peek(text, caseInsensitive: caseInsensitive) else { return false }
            for _ in text.unicodeScalars { advance() }
            return true
        }

        /// The text up to `end`, which is skipped too; nil when `end` never comes.
        mutating func skip(until end: String, caseInsensitive: Bool = false) -> String? {
            var out = String.UnicodeScalarView()
            while !atEnd {
                if skip(end, caseInsensitive: caseInsensitive) { return String(out) }
                out.append(scalars[position])
                advance()
            }
            return nil
        }

        mutating func skipSpaces() {
            while !atEnd, scalars[position].properties.isWhitespace { advance() }
        }

        /// A tag or attribute name: letters, digits, `-`, `_`, `:`.
        mutating func name() -> String {
            var out = String.UnicodeScalarView()
            while !atEnd {
                let s = scalars[position]
                guard s.properties.isAlphabetic || ("0"..."9").contains(s) || s == "-" || s == "_"
                        || s == ":" else { break }
                out.append(s)
                advance()
            }
            return String(out)
        }

        /// Text up to the next `<`.
        mutating func text() -> String {
            var out = String.UnicodeScalarView()
            while !atEnd && scalars[position] != "<" {
                out.append(scalars[position])
                advance()
            }
            return String(out)
        }
    }
}
