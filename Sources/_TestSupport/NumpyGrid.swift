import Equivariance
import TensorCore

/// numpy's `rot90` and `fliplr`, written out independently of the library from their
/// definitions, as the reference that every grid turn and flip of EquiScan is tested against.
///
/// Samples are row-major planes of `height` × `width` pixels with `channels` interleaved
/// samples per pixel, one plane after the other (channel-planar data use `channels: 1`).
public enum NumpyGrid {
    /// numpy `rot90(a, k)` on the (H, W) axes: one quarter turn reads
    /// `out[i][j] = a[j][W − 1 − i]` and has shape (W, H); negative `k` turns clockwise.
    public static func rot90<Sample>(_ samples: [Sample], height: Int, width: Int,
                                     channels: Int = 1, times k: Int = 1)
        -> (samples: [Sample], height: Int, width: Int) {
        var (result, h, w) = (samples, height, width)
        for _ in 0..<(((k % 4) + 4) % 4) {
            let source = w
            result = gather(result, height: w, width: h, channels: channels) { i, j in
                j * source + (source - 1 - i)
            }
            (h, w) = (w, h)
        }
        return (result, h, w)
    }

    /// numpy `fliplr(a)` (`flip(a, axis=-1)` on (H, W)): `out[i][j] = a[i][W − 1 − j]`.
    public static func fliplr<Sample>(_ samples: [Sample], height: Int, width: Int,
                                      channels: Int = 1) -> [Sample] {
        gather(samples, height: height, width: width, channels: channels) { i, j in
            i * width + (width - 1 - j)
        }
    }

    /// Output planes of `height` × `width` pixels whose pixel (i, j) is the source pixel
    /// `source(i, j)` (flat, row-major) of the same plane, every channel alike.
    private static func gather<Sample>(_ samples: [Sample], height: Int, width: Int,
                                       channels: Int, source: (Int, Int) -> Int) -> [Sample] {
        var out = samples
        let plane = height * width * channels
        for p in 0..<(plane == 0 ? 0 : samples.count / plane) {
            for i in 0..<height {
                for j in 0..<width {
                    for c in 0..<channels {
                        out[p * plane + (i * width + j) * channels + c] =
                            samples[p * plane + source(i, j) * channels + c]
                    }
                }
            }
        }
        return out
    }

    /// The pose R^quarterTurns F^mirrored: `rot90(fliplr(a) if mirrored else a, quarterTurns)`.
    public static func act<Sample>(_ samples: [Sample], height: Int, width: Int,
                                   channels: Int = 1, quarterTurns: Int, mirrored: Bool)
        -> (samples: [Sample], height: Int, width: Int) {
        let flipped = mirrored
            ? fliplr(samples, height: height, width: width, channels: channels) : samples
        return rot90(flipped, height: height, width: width, channels: channels,
                     times: quarterTurns)
    }

    /// The pose of a C4 or D4 element (its rotation counts quarter turns).
    public static func act<Sample>(_ samples: [Sample], height: Int, width: Int,
                                   channels: Int = 1, by element: GroupElement)
        -> (samples: [Sample], height: Int, width: Int) {
        act(samples, height: height, width: width, channels: channels,
            quarterTurns: element.rotation, mirrored: element.mirrored)
    }
}

/// numpy `rot90(a, k)` on the last two axes of a tensor (…, H, W).
public func numpyRot90(_ tensor: Tensor, times k: Int = 1) -> Tensor {
    let (h, w) = (tensor.shape[tensor.rank - 2], tensor.shape[tensor.rank - 1])
    let turned = NumpyGrid.rot90(tensor.storage, height: h, width: w, times: k)
    var shape = tensor.shape
    shape[shape.count - 2] = turned.height
    shape[shape.count - 1] = turned.width
    return Tensor(shape: shape, storage: turned.samples)
}

/// numpy `flip(a, axis=-1)` on a tensor (…, H, W): `out[…, i, j] = a[…, i, W − 1 − j]`.
public func numpyFlipW(_ tensor: Tensor) -> Tensor {
    let (h, w) = (tensor.shape[tensor.rank - 2], tensor.shape[tensor.rank - 1])
    return Tensor(shape: tensor.shape,
                  storage: NumpyGrid.fliplr(tensor.storage, height: h, width: w))
}

/// The numpy form of a C4 or D4 element on a tensor (…, H, W):
/// `rot90(fliplr(a) if mirrored else a, rotation)`.
public func numpyAction(_ tensor: Tensor, by element: GroupElement) -> Tensor {
    numpyRot90(element.mirrored ? numpyFlipW(tensor) : tensor, times: element.rotation)
}
