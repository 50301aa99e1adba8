import Reports
import XCTest
import _TestSupport

/// `CSVTable`: RFC 4180 quoting and spreadsheet-formula neutralising, checked against
/// hand-written lines and an independent reader.
final class CSVTableTests: XCTestCase {
    func testPlainFieldsAreJoinedWithCommasAndEndWithCRLF() {
        XCTAssertEqual(CSVTable.line(["a", "b c", "1.5", ""]), "a,b c,1.5,\r\n")
    }

    func testFieldsWithSeparatorsQuotesOrLineBreaksAreQuoted() {
        XCTAssertEqual(CSVTable.line(["a,b", "say \"hi\"", "two\nlines", "cr\rhere", "crlf\r\nx"]),
                       "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\",\"crlf\r\nx\"\r\n")
    }

    func testFormulaStartsAreNeutralisedButNumbersAreNot() {
        XCTAssertEqual(CSVTable.field("=HYPERLINK(\"http://x\")"),
                       "\"'=HYPERLINK(\"\"http://x\"\")\"")
        XCTAssertEqual(CSVTable.field("+cmd"), "'+cmd")
        XCTAssertEqual(CSVTable.field("-2+3"), "'-2+3")
        XCTAssertEqual(CSVTable.field("@SUM(A1)"), "'@SUM(A1)")
        XCTAssertEqual(CSVTable.field("\tx"), "'\tx")
        XCTAssertEqual(CSVTable.field("-0.25"), "-0.25")
        XCTAssertEqual(CSVTable.field("+1e3"), "+1e3")
        XCTAssertEqual(CSVTable.field("a=b"), "a=b")
    }

    /// Every field comes back from an RFC 4180 reader written for this test as it went in
    /// (after the `'` of a neutralised one).
    func testLinesReadBackThroughAnIndependentReader() {
        let fields = ["plain", "", "with,comma", "\"quoted\"", "multi\nline", "=1+1", "ünïcödé",
                      "tab\tinside", " spaces ", "-5", "@home", "a\"b,c\nd"]
        let text = CSVTable.line(fields) + CSVTable.line(fields.reversed())
        let rows = CSVReader.rows(text)
        XCTAssertEqual(rows.count, 2)
        let expected = fields.map { field -> String in
            guard let first = field.first, "=+-@\t".contains(first), Double(field) == nil
            else { return field }
            return "'" + field
        }
        XCTAssertEqual(rows.first, expected)
        XCTAssertEqual(rows.last, expected.reversed())
    }
}
