// Writing your own module: a two-layer network with a skip connection, built by
// subclassing xg::nn::Module and registering its layers by name. It is trained on two
// interleaved spirals, saved to a safetensors file, loaded into a fresh copy of the
// architecture, and the copy must predict exactly what the original predicts.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <xgrad.hpp>
#include <xgrad/data/datasets.hpp>

namespace nn = xg::nn;

// y = fc_out(relu(fc2(h) + h)) with h = relu(fc1(x)): the "+ h" is the skip connection.
struct ResidualNet : nn::Module {
  std::shared_ptr<nn::Linear> fc1, fc2, fc_out;

  ResidualNet(std::int64_t in, std::int64_t hidden, std::int64_t classes) : Module("ResidualNet") {
    // register_module names each layer, so parameters read "fc1.weight", "fc2.bias", ...
    fc1 = register_module("fc1", nn::Linear(in, hidden));
    fc2 = register_module("fc2", nn::Linear(hidden, hidden));
    fc_out = register_module("fc_out", nn::Linear(hidden, classes));
  }

  xg::Tensor forward(const xg::Tensor& x) override {
    xg::Tensor h = xg::relu((*fc1)(x));
    return (*fc_out)(xg::relu((*fc2)(h) + h));
  }
};

int main() {
  xg::manual_seed(0);
  const xg::data::Dataset spirals = xg::data::make_spirals(600, 0.05, /*seed=*/1);
  const xg::Tensor& x = spirals.features();  // (600, 2)
  const xg::Tensor& y = spirals.targets();   // (600) class 0 or 1

  ResidualNet model(2, 64, 2);
  std::cout << model << "\n" << model.num_parameters() << " parameters\n";

  xg::optim::Adam opt(model.parameters(), {.lr = 0.01});
  for (int epoch = 1; epoch <= 300; ++epoch) {  // full batch: the data set is small
    opt.zero_grad();
    xg::Tensor loss = nn::functional::cross_entropy(model(x), y);
    loss.backward();
    opt.step();
    if (epoch % 50 == 0) std::printf("epoch %3d  loss %.4f\n", epoch, loss.item());
  }

  model.eval();
  xg::Tensor predictions;
  {
    xg::NoGradGuard no_grad;
    predictions = xg::argmax(model(x), 1);
  }
  const double accuracy = xg::eq(predictions, y).to(xg::f64).mean().item();
  std::printf("training accuracy %.1f%%\n", 100.0 * accuracy);

  // Save, then load into a new model with its own (different) random initialisation.
  const std::string path =
      (std::filesystem::temp_directory_path() / "xgrad_custom_module.safetensors").string();
  nn::save(model, path);
  ResidualNet restored(2, 64, 2);
  nn::load(restored, path);
  std::filesystem::remove(path);
  restored.eval();

  xg::Tensor restored_logits, original_logits;
  {
    xg::NoGradGuard no_grad;
    restored_logits = restored(x);
    original_logits = model(x);
  }
  const bool identical = restored_logits.to_vector<float>() == original_logits.to_vector<float>();
  std::printf("saved to %s and loaded: predictions %s\n", path.c_str(),
              identical ? "identical" : "DIFFERENT");
  return identical && accuracy >= 0.95 ? 0 : 1;
}
