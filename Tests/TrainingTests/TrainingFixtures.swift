import Foundation
import ImageCodecs
import TensorCore
import _TestSupport
@testable import ModelRuntime
@testable import StrictJSON
@testable import Training

/// Tiny generated training sets shared by the training tests.
enum TrainingFixtures {
    /// Writes `count` 16x16 gray image/label pairs into `root/seg/{images,labels}`: a bright
    /// region (`inside(x, y, x0, y0)`, placed at a random offset x0, y0 in 0..<8) on a dark
    /// background, with noise; labels are 255 inside the region and 0 elsewhere.
    static func writeSegmentationSet(root: String, count: Int, generator: inout SeededGenerator,
                                     inside: (Int, Int, Int, Int) -> Bool) throws {
        for i in 0..<count {
            var image = [UInt8](repeating: 0, count: 256)
            var label = [UInt8](repeating: 0, count: 256)
            let x0 = generator.nextInt(below: 8)
            let y0 = generator.nextInt(below: 8)
            for y in 0..<16 {
                for x in 0..<16 {
                    let isInside = inside(x, y, x0, y0)
                    image[y * 16 + x] = UInt8((isInside ? 180 : 40) + generator.nextInt(below: 50))
                    label[y * 16 + x] = isInside ? 255 : 0
                }
            }
            try TestImages.writeGrayPNG(width: 16, height: 16, pixels: image,
                                        to: "\(root)/seg/images/\(i).png")
            try TestImages.writeGrayPNG(width: 16, height: 16, pixels: label,
                                        to: "\(root)/seg/labels/\(i).png")
        }
    }
}
