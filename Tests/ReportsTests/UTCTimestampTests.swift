import Dispatch
import Foundation
import Reports
import Synchronization
import XCTest

final class UTCTimestampTests: XCTestCase {
    /// Calendar facts checked by hand (and against Python's datetime): the epoch, a leap day,
    /// the second before the epoch, the billennium, the last second of 2099 and the ends of
    /// the four-digit years.
    func testKnownInstants() {
        let cases: [(Double, String)] = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (1_000_000_000, "2001-09-09T01:46:40Z"),
            (4_102_444_799, "2099-12-31T23:59:59Z"),
            (-62_135_596_800, "0001-01-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ]
        for (seconds, expected) in cases {
            XCTAssertEqual(UTCTimestamp.string(Date(timeIntervalSince1970: seconds)), expected)
        }
    }

    /// Milliseconds are truncated, never rounded into the next second; times before the epoch
    /// count their fraction forwards from the whole second below.
    func testMillisecondsAreTruncated() {
        let string = { UTCTimestamp.string(Date(timeIntervalSince1970: $0), milliseconds: true) }
        XCTAssertEqual(string(1_000_000_000.9999), "2001-09-09T01:46:40.999Z")
        XCTAssertEqual(string(1_000_000_000.25), "2001-09-09T01:46:40.250Z")
        XCTAssertEqual(string(1_000_000_000), "2001-09-09T01:46:40.000Z")
        XCTAssertEqual(string(-0.75), "1969-12-31T23:59:59.250Z")
    }

    func testYearsOutsideFourDigitsAreClamped() {
        XCTAssertEqual(UTCTimestamp.string(Date(timeIntervalSince1970: -1e12)),
                       "0001-01-01T00:00:00Z")
        XCTAssertEqual(UTCTimestamp.string(Date(timeIntervalSince1970: 1e13), milliseconds: true),
                       "9999-12-31T23:59:59.999Z")
    }

    /// Against Foundation's ISO 8601 format style (a separate implementation, in Swift) on
    /// 2000 seeded instants from 1900 to 2200.
    func testAgreesWithTheISO8601FormatStyle() {
        var generator = SplitMix(state: 20261202)
        let style = Date.ISO8601FormatStyle(timeZone: TimeZone(secondsFromGMT: 0)!)
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true,
                                                 timeZone: TimeZone(secondsFromGMT: 0)!)
        for _ in 0..<2000 {
            let seconds = Double(Int64.random(in: -2_208_988_800..<7_258_118_400,
                                              using: &generator))
            let date = Date(timeIntervalSince1970: seconds)
            XCTAssertEqual(UTCTimestamp.string(date), style.format(date))
            let withMilliseconds = Date(timeIntervalSince1970: seconds + 0.125)
            XCTAssertEqual(UTCTimestamp.string(withMilliseconds, milliseconds: true),
                           fractional.format(withMilliseconds))
        }
    }

    /// Eight threads stamping at once get what one thread gets.
    func testConcurrentCallsAgree() {
        let instants = (0..<500).map { Date(timeIntervalSince1970: Double($0) * 86_399.5) }
        let expected = instants.map { UTCTimestamp.string($0, milliseconds: true) }
        let mismatches = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let wrong = zip(instants, expected).filter {
                UTCTimestamp.string($0, milliseconds: true) != $1
            }.count
            mismatches.wrappingAdd(wrong, ordering: .relaxed)
        }
        XCTAssertEqual(mismatches.load(ordering: .relaxed), 0)
    }
}

/// SplitMix64, for reproducible test instants.
private struct SplitMix: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
