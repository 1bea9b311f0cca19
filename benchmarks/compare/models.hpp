// What the benchmark builds with xgrad: the initial models (xgrad draws the weights; the
// libtorch side copies them), tensors of given values, and the data (xgrad's side reads
// it with xgrad's data module).
#pragma once

#include <string>
#include <vector>

#include <xgrad.hpp>

#include "xgrad/data/dataset.hpp"
#include "xgrad/nn/container.hpp"

namespace bench {

// The MLP as an xgrad user writes it, initialised from xg::manual_seed(kSeed):
// Linear(784,256), ReLU, Linear(256,128), ReLU, Linear(128,10).
xg::nn::Sequential make_xgrad_mlp();
// Linear(2,16), Tanh, Linear(16,1), Sigmoid, initialised from xg::manual_seed(kSeed).
xg::nn::Sequential make_xgrad_xor();
// Parameter values of a model in parameters() order (weight, bias, weight, bias, ...):
// what the libtorch side copies into its own model.
std::vector<std::vector<float>> parameter_values(xg::nn::Module& model);

// A float tensor holding a copy of v (f32, the given shape).
xg::Tensor xgrad_tensor(const std::vector<float>& v, const xg::Shape& shape,
                        bool requires_grad = false);

// Fashion-MNIST as (N, 784) f32 in [0, 1] and (N) i64 labels, through xgrad's data module.
xg::data::Dataset load_fashion(const std::string& split);

}  // namespace bench
