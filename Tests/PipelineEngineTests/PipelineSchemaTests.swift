import Foundation
import PipelineEngine
import StrictJSON
import XCTest

/// `pipelines/schema.json`: the committed file is exactly what the op registry generates, and
/// the schema names every op once with its required parameters.
final class PipelineSchemaTests: XCTestCase {
    static let regenerate = "equiscan validate --schema > pipelines/schema.json"

    struct MissingKey: Error, CustomStringConvertible {
        var key: String
        var object: String
        var description: String { "no key \"\(key)\" in \(object)" }
    }

    /// The member `key` of a JSON object; throws (failing the test) when there is none.
    func member(_ value: JSONValue, _ key: String) throws -> JSONValue {
        guard case .object(let members) = value,
              let found = members.first(where: { $0.key == key }) else {
            throw MissingKey(key: key, object: value.quoted)
        }
        return found.value
    }

    func strings(_ value: JSONValue) -> [String] {
        guard case .array(let items) = value else { return [] }
        return items.compactMap { item in
            if case .string(let text) = item { return text }
            return nil
        }
    }

    /// The `oneOf` branches of `stages.items`.
    func stageBranches() throws -> [JSONValue] {
        let root = try ConfigNode.parse(PipelineSchema.json(), file: "schema.json").value
        let items = try member(member(member(root, "properties"), "stages"), "items")
        guard case .array(let branches) = try member(items, "oneOf") else {
            XCTFail("stages.items.oneOf is not an array")
            return []
        }
        return branches
    }

    func testCommittedSchemaIsTheGeneratedOne() throws {
        let url = PipelineValidationTests.packageRoot
            .appendingPathComponent("pipelines/schema.json")
        let committed = try String(contentsOf: url, encoding: .utf8)
        let generated = PipelineSchema.json()
        guard committed != generated else { return }
        let old = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let new = generated.split(separator: "\n", omittingEmptySubsequences: false)
        let line = zip(old, new).enumerated().first { $1.0 != $1.1 }?.offset
            ?? min(old.count, new.count)
        XCTFail("pipelines/schema.json differs from PipelineSchema.json() from line \(line + 1) "
                + "(committed: \(old.count) lines, generated: \(new.count)); regenerate it "
                + "with `\(Self.regenerate)`")
    }

    func testSchemaIsDeterministicAndEndsWithANewline() {
        let text = PipelineSchema.json()
        XCTAssertEqual(text, PipelineSchema.json())
        XCTAssertTrue(text.hasSuffix("}\n"))
        XCTAssertFalse(text.hasSuffix("\n\n"))
    }

    func testSchemaParsesAndListsEveryOpExactlyOnce() throws {
        let root = try ConfigNode.parse(PipelineSchema.json(), file: "schema.json").value
        XCTAssertEqual(try member(root, "$schema"),
                       .string("https://json-schema.org/draft/2020-12/schema"))
        let names = try stageBranches().map { branch in
            try member(member(member(branch, "properties"), "op"), "const")
        }
        XCTAssertEqual(names, StageOp.allCases.map { .string($0.rawValue) })
        XCTAssertEqual(Set(names.map(\.compactText)).count, StageOp.allCases.count)
    }

    func testEachOpHasExactlyItsKeysAndItsRequiredParameters() throws {
        let branches = try stageBranches()
        XCTAssertEqual(branches.count, StageOp.allCases.count)
        for (op, branch) in zip(StageOp.allCases, branches) {
            let required = strings(try member(branch, "required"))
            for parameter in op.parameters {
                XCTAssertEqual(required.contains(parameter.name), parameter.isRequired,
                               "\(op.rawValue).\(parameter.name)")
            }
            XCTAssertEqual(required.first, "op", op.rawValue)
            guard case .object(let properties) = try member(branch, "properties") else {
                XCTFail("\(op.rawValue): properties is not an object")
                continue
            }
            XCTAssertEqual(properties.map(\.key).sorted(),
                           (["op", "id", "input"] + op.parameters.map(\.name)).sorted(),
                           op.rawValue)
            XCTAssertEqual(try member(branch, "additionalProperties"), .bool(false), op.rawValue)
        }
    }

    func testRangesChoicesAndDefaultsComeFromTheRegistry() throws {
        let branches = try stageBranches()
        func parameter(_ op: StageOp, _ name: String) throws -> JSONValue {
            let index = try XCTUnwrap(StageOp.allCases.firstIndex(of: op))
            return try member(member(branches[index], "properties"), name)
        }
        let k = try parameter(.rotate90, "k")
        XCTAssertEqual(try member(k, "type"), .string("integer"))
        XCTAssertEqual(try member(k, "minimum").compactText, "0")
        XCTAssertEqual(try member(k, "maximum").compactText, "3")
        XCTAssertEqual(try member(k, "default").compactText, "1")
        let colour = try parameter(.loadImage, "colour")
        XCTAssertEqual(strings(try member(colour, "enum")), ["keep", "gray", "rgb"])
        XCTAssertEqual(try member(colour, "default"), .string("keep"))
        let overlap = try parameter(.segment, "overlap")
        XCTAssertEqual(try member(overlap, "exclusiveMaximum").compactText, "1")
        XCTAssertEqual(try member(overlap, "default").compactText, "0.25")
        let size = try parameter(.resize, "spatial_size")
        XCTAssertEqual(try member(size, "minItems").compactText, "2")
        XCTAssertEqual(try member(size, "maxItems").compactText, "2")
        let input = try parameter(.saveOverlay, "input")
        guard case .string(let pattern) = try member(input, "pattern") else {
            return XCTFail("input has no string pattern")
        }
        XCTAssertTrue(pattern.hasPrefix("^@"), pattern)
    }

    func testAPipelineMayPointItsSchemaKeyAtTheSchemaFile() {
        let text = #"{"$schema": "schema.json", "version": 1, "name": "t", "#
            + #""stages": [{"op": "LoadImage"}]}"#
        let result = PipelineValidation.validate(text: text, file: "p.json",
                                                 baseFolder: PipelineValidationTests
                                                    .pipelinesFolder)
        XCTAssertEqual(result.problems.map(\.description), [])
        XCTAssertEqual(result.plan?.spec.schema, "schema.json")
    }
}
