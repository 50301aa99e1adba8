import NeuralNet
import TensorCore
