import TensorCore
import XCTest

/// A test case that runs every test with `ThreadPolicy.workerCount` = 2 (the target machine's
/// cores, so chunks really split even on a 1-core runner) and restores the count after.
open class TwoWorkerTestCase: XCTestCase {
    private var savedWorkers = 1

    open override func setUp() {
        super.setUp()
        savedWorkers = ThreadPolicy.workerCount
        ThreadPolicy.workerCount = 2
    }

    open override func tearDown() {
        ThreadPolicy.workerCount = savedWorkers
        super.tearDown()
    }
}
