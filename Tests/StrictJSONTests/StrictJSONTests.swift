import StrictJSON
import XCTest

/// Positions, JSON pointers, syntax errors and null handling of the strict JSON reader.
final class StrictJSONTests: XCTestCase {
    /// The error `body` throws, printed as a user sees it.
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func parseError(_ text: String, file: String? = "f.json") -> String {
        message { _ = try JSONDocument.parse(text, file: file) }
    }

    func testPositionsOfValuesAndKeysInAMultiLineDocument() throws {
        let text = """
        {
          "a": 1,
          "b": [true, {"c": null}],
          "d": "x"
        }
        """
        let document = try JSONDocument.parse(text)
        func at(_ components: [ConfigPath.Component]) -> ConfigPath { ConfigPath(components) }
        let p = { (line: Int, column: Int) in SourcePosition(line: line, column: column) }
        XCTAssertEqual(document.position(of: .root), p(1, 1))
        XCTAssertEqual(document.position(of: at([.key("a")])), p(2, 8))
        XCTAssertEqual(document.keyPosition(of: at([.key("a")])), p(2, 3))
        XCTAssertEqual(document.position(of: at([.key("b")])), p(3, 8))
        XCTAssertEqual(document.position(of: at([.key("b"), .index(0)])), p(3, 9))
        XCTAssertNil(document.keyPosition(of: at([.key("b"), .index(0)])))
        XCTAssertEqual(document.position(of: at([.key("b"), .index(1)])), p(3, 15))
        XCTAssertEqual(document.position(of: at([.key("b"), .index(1), .key("c")])), p(3, 21))
        XCTAssertEqual(document.keyPosition(of: at([.key("b"), .index(1), .key("c")])),
                       p(3, 16))
        XCTAssertEqual(document.position(of: at([.key("d")])), p(4, 8))
        XCTAssertNil(document.position(of: at([.key("e")])))
        XCTAssertEqual(document.nearestPosition(of: at([.key("b"), .index(1), .key("z")])),
                       p(3, 15))
        let node = try document.rootNode.object(keys: ["a", "b", "d"]).required("d")
        XCTAssertEqual(node.position, p(4, 8))
        XCTAssertEqual(node.keyPosition, p(4, 3))
    }

    func testColumnsCountUnicodeScalarsAndEscapesAsWritten() throws {
        // "é" and "😀" are one column each although they take 2 and 4 UTF-8 bytes.
        XCTAssertEqual(parseError("{\"é😀\": 1, \"x\": tru}", file: nil),
                       "1:16 /x invalid literal: expected 'true'")
        // Escapes count as the characters written: `\n` is two columns, `\u00e9` six.
        let escaped = #"{"k\n": "\u00e9\t", "z": x}"#
        XCTAssertEqual(parseError(escaped), "f.json:1:26 /z unexpected character 'x': "
                       + "expected a value")
        let document = try JSONDocument.parse(#"{"k\n": "\u00e9\t", "z": 1}"#)
        XCTAssertEqual(document.position(of: ConfigPath([.key("k\n")])),
                       SourcePosition(line: 1, column: 9))
        XCTAssertEqual(document.root, .object([("k\n", .string("é\t")), ("z", .number(1,
                                                                           literal: "1"))]))
        // A multi-byte character on an earlier line does not shift later lines.
        XCTAssertEqual(parseError("[\"ü\",\n \"ß\", x]", file: nil),
                       "2:7 /2 unexpected character 'x': expected a value")
        // CRLF line ends: the carriage return ends the line like the line feed.
        XCTAssertEqual(parseError("{\r\n  \"a\": x\r\n}"),
                       "f.json:2:8 /a unexpected character 'x': expected a value")
    }

    func testPointersEscapeTildeAndSlashAndPrintTheRootAsSlash() throws {
        XCTAssertEqual(ConfigPath.root.pointer, "")
        XCTAssertEqual(ConfigPath.root.description, "/")
        let path = ConfigPath([.key("a/b"), .key("m~n"), .index(1), .key(""), .key("~1")])
        XCTAssertEqual(path.description, "/a~1b/m~0n/1//~01")
        XCTAssertEqual(ConfigPath.root.appending("training").appending("optimizer")
                        .appending("learningRate").description,
                       "/training/optimizer/learningRate")
        let root = try ConfigNode.parse(#"{"a/b": {"m~n": [0, {"": false}]}}"#, file: "p.json")
        let text = message {
            let inner = try root.object(keys: ["a/b"]).required("a/b").object(keys: ["m~n"])
            let element = try inner.required("m~n").array()[1]
            _ = try element.object(keys: [""]).required("").integer()
        }
        XCTAssertEqual(text, "p.json:1:26 /a~1b/m~0n/1/ expected a whole number, got false")
    }

    func testEverySyntaxErrorNamesLineColumnAndPointer() {
        let deep = String(repeating: "[", count: 201)
        let cases: [(String, String)] = [
            ("", "f.json:1:1 / unexpected end of input: expected a value"),
            ("{\"a\": \"abc", "f.json:1:7 /a unterminated string: no closing quote"),
            ("{\"a\": \"ab\ncd\"}",
             "f.json:1:7 /a unterminated string: line break before the closing quote"),
            ("{\"a\": 1,}", "f.json:1:8 / trailing comma before '}'"),
            ("[1,\n 2,\n]", "f.json:2:3 / trailing comma before ']'"),
            ("{\"a\": 1, \"a\": 2}", "f.json:1:10 /a duplicate key \"a\""),
            ("{\"a\": NaN}", "f.json:1:7 /a NaN is not a JSON number (use a finite number or "
             + "null)"),
            ("[Infinity]", "f.json:1:2 /0 Infinity is not a JSON number (use a finite number "
             + "or null)"),
            ("[-Infinity]", "f.json:1:2 /0 -Infinity is not a JSON number (use a finite number "
             + "or null)"),
            ("{\"a\": 01}", "f.json:1:7 /a leading zeros are not allowed in numbers"),
            ("[1.]", "f.json:1:4 /0 expected digits after '.'"),
            ("[1e]", "f.json:1:4 /0 expected digits in exponent"),
            ("[-]", "f.json:1:3 /0 expected digits in number"),
            ("[1e999]", "f.json:1:2 /0 number 1e999 is out of range"),
            ("{\"a\": 1} x", "f.json:1:10 / unexpected text after the end of the JSON value"),
            ("{\"a\": 1", "f.json:1:1 / unterminated object: no closing '}'"),
            ("{\"a\": 1,", "f.json:1:1 / unterminated object: no closing '}'"),
            ("[1, 2", "f.json:1:1 / unterminated array: no closing ']'"),
            ("{\"a\" 1}", "f.json:1:6 /a expected ':' after key \"a\""),
            ("{\"a\": 1 \"b\": 2}", "f.json:1:9 / expected ',' or '}' after a member, got '\"'"),
            ("[1 2]", "f.json:1:4 / expected ',' or ']' after an element, got '2'"),
            ("{a: 1}", "f.json:1:2 / expected a key in double quotes, got 'a'"),
            ("{'a': 1}", "f.json:1:2 / keys need double quotes (\"), not single quotes"),
            ("['a']", "f.json:1:2 /0 strings need double quotes (\"), not single quotes"),
            ("{\"a\": tru}", "f.json:1:7 /a invalid literal: expected 'true'"),
            ("{\"a\": }", "f.json:1:7 /a expected a value, got '}'"),
            ("{\"a\": \"\\x\"}", "f.json:1:8 /a invalid escape '\\x' in string (allowed: \\\" "
             + "\\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)"),
            ("[\"\\u12G4\"]", "f.json:1:3 /0 \\u escape needs four hex digits"),
            ("[\"\\ud83d\"]", "f.json:1:3 /0 unpaired surrogate \\uD83D in string"),
            ("[\"\\ude00x\"]", "f.json:1:3 /0 unpaired surrogate \\uDE00 in string"),
            ("[\"a\tb\"]", "f.json:1:4 /0 control character U+0009 in string (write it as an "
             + "escape such as \\t)"),
            ("{\"a\": // note\n 1}", "f.json:1:7 /a comments are not allowed in JSON"),
            ("{\"a\": {\"b\": [1, 2,]}}", "f.json:1:18 /a/b trailing comma before ']'"),
            (deep, "f.json:1:201 /" + Array(repeating: "0", count: 200).joined(separator: "/")
             + " nesting deeper than 200 levels"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(parseError(text), expected, "parsing \(text.debugDescription)")
        }
        // Without a file the position still leads.
        XCTAssertEqual(parseError("{\"a\": 1,}", file: nil), "1:8 / trailing comma before '}'")
    }

    func testValidTextStillParses() throws {
        XCTAssertEqual(try JSONValue.parse("\"\\u00e9\\ud83d\\ude00\""), .string("é😀"))
        XCTAssertEqual(try JSONValue.parse(" [1.5e2, -0, true, null] ").compactText,
                       "[1.5e2,-0,true,null]")
        XCTAssertEqual(try JSONValue.parse("{}"), .object([]))
        XCTAssertEqual(try JSONValue.parse("[]"), .array([]))
        let seed = try ConfigNode.parse("18446744073709551615").unsignedInteger()
        XCTAssertEqual(seed, UInt64.max)
    }

    func testNullIsAValueNotAnAbsentKey() throws {
        let root = try ConfigNode.parse("{\"batchSize\": null,\n \"name\": \"x\"}", file: "c.json")
        let object = try root.object(keys: ["batchSize", "name", "epochs"])
        XCTAssertTrue(object.contains("batchSize"))
        XCTAssertEqual(object.optional("batchSize")?.isNull, true)
        XCTAssertNil(object.optional("epochs"))
        XCTAssertEqual(message { _ = try object.value("batchSize", default: 16) {
            try $0.integer(in: 1...4096)
        } }, "c.json:1:15 /batchSize expected a whole number from 1 to 4096, got null")
        XCTAssertEqual(message { _ = try object.required("batchSize").integer() },
                       "c.json:1:15 /batchSize expected a whole number, got null")
        XCTAssertEqual(try object.value("epochs", default: 3) { try $0.integer() }, 3)
        XCTAssertEqual(message { _ = try object.required("epochs") },
                       "c.json:1:1 /epochs missing required key")
        XCTAssertEqual(message { _ = try object.required("name").integer() },
                       "c.json:2:10 /name expected a whole number, got \"x\"")
    }

    func testUnknownKeysPointAtTheKey() throws {
        let root = try ConfigNode.parse("{\n  \"epocs\": 1\n}")
        XCTAssertEqual(message { _ = try root.object(keys: ["epochs"]) },
                       "2:3 /epocs unknown key (did you mean \"epochs\"?)")
        XCTAssertEqual(message { _ = try root.object(keys: ["alpha", "beta"]) },
                       "2:3 /epocs unknown key; allowed keys: alpha, beta")
    }

    func testCollectingUnknownKeysReportsEachAndKeepsTheKnownMembers() throws {
        let root = try ConfigNode.parse("{\n  \"epocs\": 1,\n  \"seed\": 2,\n  \"zzz\": 3\n}")
        var problems: [ConfigError] = []
        let object = try root.object(keys: ["epochs", "seed"], collecting: &problems)
        XCTAssertEqual(problems.map(\.description), [
            "2:3 /epocs unknown key (did you mean \"epochs\"?)",
            "4:3 /zzz unknown key; allowed keys: epochs, seed",
        ])
        XCTAssertEqual(try object.required("seed").integer(), 2)
    }

    func testErrorsBuiltFromAPathGetTheNearestPosition() throws {
        let document = try JSONDocument.parse("{\n  \"a\": 1,\n  \"b\": {}\n}", file: "d.json")
        let missing = message {
            try document.read { _ in
                throw ConfigError(path: ConfigPath.root.appending("b").appending("x"),
                                  message: "needs x")
            }
        }
        XCTAssertEqual(missing, "d.json:3:8 /b/x needs x")
        XCTAssertEqual(ConfigError(path: .root, message: "cannot read the config file",
                                   file: "d.json").description,
                       "d.json: cannot read the config file")
        XCTAssertEqual(ConfigError(path: ConfigPath.root.appending("a"), message: "bad")
                        .description, "/a bad")
        XCTAssertEqual(ConfigNode(value: .bool(true)).mismatch("a number").description,
                       "/ expected a number, got true")
    }

    func testSortedPrettyTextSortsKeysAndKeepsScalarArraysOnOneLine() throws {
        let value = try JSONValue.parse(#"{"b": [1, "x"], "a": {"d": [], "c": [{}, true]}}"#)
        XCTAssertEqual(value.sortedPrettyText, """
            {
              "a": {
                "c": [
                  {},
                  true
                ],
                "d": []
              },
              "b": [1, "x"]
            }
            """)
        XCTAssertEqual(try JSONValue.parse(value.sortedPrettyText).compactText,
                       #"{"a":{"c":[{},true],"d":[]},"b":[1,"x"]}"#)
    }
}
