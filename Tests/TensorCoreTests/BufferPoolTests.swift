import TensorCore
import XCTest

/// `BufferPool`: buffers come back by exact count, a new input shape empties the pool, and a
/// recycled buffer that is still in use elsewhere is never written through.
final class BufferPoolTests: XCTestCase {
    private func address(_ buffer: [Float]) -> UnsafeRawPointer? {
        buffer.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    func testBuffersComeBackByCountAndANewShapeEmptiesThePool() {
        let pool = BufferPool()
        pool.startPass(shape: [1, 1, 8, 8])
        let first = pool.take(count: 100)
        let firstAddress = address(first)
        XCTAssertEqual(first.count, 100)
        pool.recycle(first)
        XCTAssertEqual(pool.heldSamples, 100)
        XCTAssertNil(pool.take(count: 99).first { _ in false }, "another count is a new buffer")
        XCTAssertEqual(pool.heldSamples, 100)
        let again = pool.take(count: 100)
        XCTAssertEqual(address(again), firstAddress, "the recycled buffer is handed out again")
        XCTAssertEqual(pool.heldSamples, 0)
        pool.recycle(again)
        pool.startPass(shape: [1, 1, 8, 8])
        XCTAssertEqual(pool.heldSamples, 100, "same shape: kept")
        pool.startPass(shape: [1, 1, 16, 8])
        XCTAssertEqual(pool.heldSamples, 0, "another shape: dropped")
    }

    func testTheLimitBoundsTheBuffersKept() {
        let pool = BufferPool(limit: 2)
        for _ in 0..<5 { pool.recycle([Float](repeating: 1, count: 10)) }
        XCTAssertEqual(pool.heldSamples, 20)
    }

    func testABufferStillInUseIsNeverWrittenThrough() {
        let pool = BufferPool()
        let kept: [Float] = [1, 2, 3, 4]
        pool.recycle(kept)  // a second reference lives on in `kept`
        var taken = pool.take(count: 4)
        taken.withUnsafeMutableBufferPointer { $0.update(repeating: -1) }
        XCTAssertEqual(kept, [1, 2, 3, 4], "copy on write protects the other owner")
        XCTAssertEqual(taken, [-1, -1, -1, -1])
    }
}
