// A small convolutional network on Fashion-MNIST: two conv-batchnorm-relu-pool blocks and
// a linear head, trained with Adam and a cosine learning-rate schedule over the epochs;
// prints the loss and the test accuracy after every epoch.
//
//   conv 1->32 3x3 (same) - BatchNorm2d - ReLU - MaxPool 2    (N, 32, 14, 14)
//   conv 32->64 3x3 (same) - BatchNorm2d - ReLU - MaxPool 2   (N, 64, 7, 7)
//   flatten - Linear(3136, 10)
//
// Usage: cnn_fashion_mnist [--epochs N] [--batch N] [--lr X] [--train-limit N] [--seed N]
//                          [--min-accuracy P] [--expect-loss-drop]
// --train-limit trains on the first N images only (the test form); --min-accuracy fails
// (exit 1) below P percent test accuracy; --expect-loss-drop fails unless the loss of the
// last quarter of the batches is below that of the first quarter.
// Data: Debian's dataset-fashion-mnist (XGRAD_FASHION_MNIST_DIR overrides the folder).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace {

struct Options {
  int epochs = 8;
  std::int64_t batch = 64;
  double lr = 1e-3;
  std::int64_t train_limit = 0;  // 0: all 60,000 images
  std::uint64_t seed = 0;
  double min_accuracy = 0.0;
  bool expect_loss_drop = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--epochs")
      o.epochs = std::stoi(value());
    else if (a == "--batch")
      o.batch = std::stoll(value());
    else if (a == "--lr")
      o.lr = std::stod(value());
    else if (a == "--train-limit")
      o.train_limit = std::stoll(value());
    else if (a == "--seed")
      o.seed = std::stoull(value());
    else if (a == "--min-accuracy")
      o.min_accuracy = std::stod(value());
    else if (a == "--expect-loss-drop")
      o.expect_loss_drop = true;
    else
      throw std::invalid_argument("unknown option " + a);
  }
  return o;
}

std::shared_ptr<xg::nn::Sequential> make_cnn() {
  using namespace xg::nn;
  return std::make_shared<Sequential>(
      Sequential{Conv2d(1, 32, 3, {.padding = 1}), BatchNorm2d(32), ReLU(),
                 MaxPool2d({.kernel_size = 2}), Conv2d(32, 64, 3, {.padding = 1}), BatchNorm2d(64),
                 ReLU(), MaxPool2d({.kernel_size = 2}), Flatten(), Linear(64 * 7 * 7, 10)});
}

// Images (N, 28, 28) in [0, 1] to (N, 1, 28, 28), standardised with the training set's
// mean and standard deviation.
xg::data::Dataset as_images(const xg::data::Dataset& ds, double mean, double std) {
  const auto n = ds.size();
  return xg::data::Dataset((ds.features().reshape({n, 1, 28, 28}) - mean) / std, ds.targets());
}

double accuracy(xg::nn::Module& model, const xg::data::Dataset& ds) {
  xg::NoGradGuard no_grad;
  model.eval();
  std::int64_t correct = 0;
  xg::data::DataLoader loader(ds, {.batch_size = 500});
  for (const auto& [x, y] : loader) {
    const auto pred = xg::argmax(model(x), 1).to_vector<std::int64_t>();
    const auto truth = y.to_vector<std::int64_t>();
    for (std::size_t i = 0; i < pred.size(); ++i) correct += pred[i] == truth[i];
  }
  model.train();
  return 100.0 * static_cast<double>(correct) / static_cast<double>(ds.size());
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  xg::manual_seed(o.seed);
  xg::data::Dataset train = xg::data::fashion_mnist("train");
  if (o.train_limit > 0 && o.train_limit < train.size()) {
    train = xg::data::Dataset(xg::slice(train.features(), 0, 0, o.train_limit),
                              xg::slice(train.targets(), 0, 0, o.train_limit));
  }
  const double mean = xg::mean(train.features()).item();
  const double std = xg::std(train.features()).item();
  train = as_images(train, mean, std);
  const xg::data::Dataset test = as_images(xg::data::fashion_mnist("test"), mean, std);

  auto model = make_cnn();
  xg::optim::Adam opt(model->parameters(), {.lr = o.lr});
  xg::optim::CosineAnnealingLR schedule(opt, {.T_max = o.epochs});
  xg::nn::CrossEntropyLoss loss_fn;
  xg::data::DataLoader loader(train, {.batch_size = o.batch, .shuffle = true, .seed = o.seed});
  std::cout << *model << "\n"
            << model->num_parameters() << " parameters, " << train.size()
            << " training images, batch " << o.batch << ", " << xg::get_num_threads()
            << " thread(s)\n";

  std::vector<double> losses;
  const auto start = std::chrono::steady_clock::now();
  double acc = 0.0;
  for (int epoch = 1; epoch <= o.epochs; ++epoch) {
    double sum = 0.0;
    std::int64_t batches = 0;
    for (const auto& [x, y] : loader) {
      const xg::Tensor loss = loss_fn(model->forward(x), y);
      opt.zero_grad();
      loss.backward();
      opt.step();
      losses.push_back(loss.item());
      sum += losses.back();
      ++batches;
    }
    schedule.step();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    acc = accuracy(*model, test);
    std::printf("epoch %d: loss %.4f, test accuracy %.2f%%, %.1f s\n", epoch,
                sum / static_cast<double>(batches), acc, seconds);
    std::fflush(stdout);
  }
  std::printf("test accuracy %.2f%% (10000 images)\n", acc);

  if (o.expect_loss_drop) {
    const std::size_t q = losses.size() / 4;
    double first = 0.0, last = 0.0;
    for (std::size_t i = 0; i < q; ++i) first += losses[i], last += losses[losses.size() - 1 - i];
    std::printf("mean loss: first quarter %.4f, last quarter %.4f\n", first / q, last / q);
    if (q == 0 || !(last < first)) {
      std::fprintf(stderr, "the loss did not fall\n");
      return 1;
    }
  }
  if (acc < o.min_accuracy) {
    std::fprintf(stderr, "test accuracy %.2f%% is below %.2f%%\n", acc, o.min_accuracy);
    return 1;
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "cnn_fashion_mnist: %s\n", e.what());
  return 2;
}
