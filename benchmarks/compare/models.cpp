// See models.hpp.
#include "models.hpp"

#include <algorithm>

#include "common.hpp"
#include "xgrad/data/datasets.hpp"
#include "xgrad/nn/activation.hpp"
#include "xgrad/nn/linear.hpp"

namespace bench {

xg::nn::Sequential make_xgrad_mlp() {
  xg::manual_seed(kSeed);
  return xg::nn::Sequential{xg::nn::Linear(kMlpSizes[0], kMlpSizes[1]), xg::nn::ReLU(),
                            xg::nn::Linear(kMlpSizes[1], kMlpSizes[2]), xg::nn::ReLU(),
                            xg::nn::Linear(kMlpSizes[2], kMlpSizes[3])};
}

xg::nn::Sequential make_xgrad_xor() {
  xg::manual_seed(kSeed);
  return xg::nn::Sequential{xg::nn::Linear(2, 16), xg::nn::Tanh(), xg::nn::Linear(16, 1),
                            xg::nn::Sigmoid()};
}

std::vector<std::vector<float>> parameter_values(xg::nn::Module& model) {
  std::vector<std::vector<float>> out;
  for (const xg::Tensor& p : model.parameters()) {
    auto d = p.data<float>();
    out.emplace_back(d.begin(), d.end());
  }
  return out;
}

xg::Tensor xgrad_tensor(const std::vector<float>& v, const xg::Shape& shape, bool requires_grad) {
  xg::Tensor t = xg::zeros(shape);
  auto d = t.mutable_data<float>();
  std::copy(v.begin(), v.end(), d.begin());
  if (requires_grad) t.requires_grad_();
  return t;
}

xg::data::Dataset load_fashion(const std::string& split) {
  return xg::data::fashion_mnist(split, {.flatten = true});
}

}  // namespace bench
