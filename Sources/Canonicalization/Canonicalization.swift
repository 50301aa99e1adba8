// The Canonicalization module: the discrete image canonicalizer of the design.
//
// A small group-equivariant network (`PoseScoringNetwork`) scores every pose of a scan; the
// best pose g is undone (the image is mapped by g⁻¹), so any downstream predictor sees every
// scan upright, and outputs that live on the image are mapped back by g (`invert`). Kaba et al.
// 2023, "Equivariance with learned canonicalization functions"; Mondal et al. 2023, "Equivariant
// adaptation of large pretrained models" (prior regularisation).
//
// The continuous canonicalizer (`EGNNCanonicalizer`, Continuous/) covers arbitrary angles: a
// multi-channel E(n)-equivariant graph network (Satorras et al. 2021) over a 2-D point set
// predicts one or two equivariant vectors, turned into an SO(2) or O(2) frame by Gram–Schmidt.
//
// Main types: `DiscreteCanonicalizer`, `CanonicalizerConfiguration`, `PoseEstimate`,
// `PoseActions`, `OrientationTrainer` (orientation correction) and `CanonicalizedTraining`
// (end-to-end with a straight-through estimator and the prior loss).
import Equivariance
import NeuralNet
import TensorCore
