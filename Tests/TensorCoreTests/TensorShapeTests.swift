import TensorCore
import XCTest

final class TensorShapeTests: XCTestCase {
    func testReshapeKeepsSamplesAndResolvesHole() {
        let t = Tensor(shape: [2, 3, 4], generator: { Float($0) })
        let r = t.reshaped([6, -1])
        XCTAssertEqual(r.shape, [6, 4])
        XCTAssertEqual(r.storage, t.storage)
        XCTAssertEqual(t[1, 2, 3], 23)
        XCTAssertEqual(t.strides, [12, 4, 1])
    }
}
