import Dispatch
import NeuralNet
import TensorCore
import XCTest
import _TestSupport

/// The tape's recording switch is per thread: `withoutRecording` on one thread leaves every
/// other thread's tape running.
final class GradientTapeThreadTests: XCTestCase {
    /// A switches recording off; B, overlapping, still records, then switches its own off;
    /// A, back outside its block while B is still inside, records again.
    func testWithoutRecordingOnOneThreadDoesNotStopAnother() {
        var generator = SeededGenerator(seed: 91)
        let weight = Tensor.gaussian(shape: [2, 4], generator: &generator)  // (out, in)
        let input = Tensor.gaussian(shape: [3, 4], generator: &generator)  // (N, in)
        // Variables are not Sendable: each call wraps the shared tensors in its own.
        @Sendable func records() -> Bool {
            Functional.linear(Variable(input), weight: Variable(weight, requiresGrad: true))
                .requiresGrad
        }

        let aOff = DispatchSemaphore(value: 0)
        let bOff = DispatchSemaphore(value: 0)
        let aBackOn = DispatchSemaphore(value: 0)
        let seen = Observations()
        let finished: [Void]? = ConcurrentThreads.run(2) { role in
            if role == 0 {
                GradientTape.withoutRecording {
                    aOff.signal()
                    seen.note("A saw B off", ConcurrentThreads.wait(bOff))
                    seen.note("A recording in its block", GradientTape.isRecording)
                    seen.note("A records in its block", records())
                }
                seen.note("A recording after its block", GradientTape.isRecording)
                seen.note("A records after its block", records())
                aBackOn.signal()
            } else {
                seen.note("B saw A off", ConcurrentThreads.wait(aOff))
                seen.note("B recording while A is off", GradientTape.isRecording)
                seen.note("B records while A is off", records())
                GradientTape.withoutRecording {
                    bOff.signal()
                    seen.note("B saw A back on", ConcurrentThreads.wait(aBackOn))
                    seen.note("B recording in its block", GradientTape.isRecording)
                    seen.note("B records in its block", records())
                }
                seen.note("B recording after its block", GradientTape.isRecording)
            }
        }
        XCTAssertNotNil(finished, "a thread did not finish")
        for step in ["A saw B off", "B saw A off", "B saw A back on"] {
            XCTAssertEqual(seen[step], 1, "the threads did not overlap as planned: \(step)")
        }
        XCTAssertEqual(seen["B recording while A is off"], 1,
                       "A's withoutRecording must not switch B's tape off")
        XCTAssertEqual(seen["B records while A is off"], 1)
        XCTAssertEqual(seen["A recording in its block"], 0)
        XCTAssertEqual(seen["A records in its block"], 0)
        XCTAssertEqual(seen["A recording after its block"], 1,
                       "B's withoutRecording must not keep A's tape off")
        XCTAssertEqual(seen["A records after its block"], 1)
        XCTAssertEqual(seen["B recording in its block"], 0)
        XCTAssertEqual(seen["B records in its block"], 0)
        XCTAssertEqual(seen["B recording after its block"], 1)
        XCTAssertTrue(GradientTape.isRecording, "the test thread's tape is untouched")
    }
}
