/// Text made safe for HTML and SVG: the one escaping rule of every report and chart.
public enum Markup {
    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references, so it can
    /// stand in element content and in any quoted attribute value.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }
}
