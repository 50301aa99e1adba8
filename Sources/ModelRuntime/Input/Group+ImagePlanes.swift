import Equivariance
import TensorCore

/// The group action on the planes and label maps that training and evaluation hold.
///
/// A pose is a `GroupElement` R^r F^m: a scan equals its pose applied to its upright form
/// (first an optional left-right mirror, then r quarter turns counter-clockwise, numpy
/// `rot90`). The pixels move through `Group.transformPlanes` and `Group.transformLabels`, the
/// one action of the group on planes.
extension Group {
    /// T_g on every channel of `planes`.
    public func transform(_ planes: ImagePlanes, by element: GroupElement) -> ImagePlanes {
        if element == identity { return planes }
        let moved = transformPlanes(
            Tensor(shape: [planes.channels, planes.height, planes.width], storage: planes.values),
            by: element)
        return ImagePlanes(channels: planes.channels, width: moved.shape[2],
                           height: moved.shape[1], values: moved.storage)
    }

    /// T_g on a label map.
    public func transform(_ labels: LabelMap, by element: GroupElement) -> LabelMap {
        if element == identity { return labels }
        let moved = transformLabels(labels.values, height: labels.height, width: labels.width,
                                    by: element)
        return LabelMap(width: moved.width, height: moved.height, values: moved.labels)
    }
}

extension GroupElement {
    /// The name of this pose in reports and metrics: `r<rotations>`, with `m` appended when
    /// mirrored first ("r0", "r3m").
    public var reportName: String {
        "r\(rotation)" + (mirrored ? "m" : "")
    }
}
