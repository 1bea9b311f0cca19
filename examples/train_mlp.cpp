// Trains a 784-128-10 MLP on Fashion-MNIST with the raw autograd API: weights are leaf
// tensors, the model is xg::linear + xg::relu, the loss is the negative log-likelihood of
// xg::log_softmax picked out with xg::gather, and SGD updates the weights in place under
// xg::NoGradGuard. Prints the training loss per epoch and the final test accuracy.
//
// Usage: train_mlp [--epochs N] [--batch N] [--hidden N] [--lr X] [--train-limit N]
//                  [--data-dir DIR] [--seed N]
// Data: the gzip'd IDX files of Debian's dataset-fashion-mnist package, read here with
// zlib (a proper data/ module comes later). XGRAD_FASHION_MNIST_DIR overrides the folder.
#include <zlib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace {

constexpr const char* kDefaultDataDir = "/usr/share/datasets/fashion-mnist";

struct Options {
  int epochs = 5;
  std::int64_t batch = 64;
  std::int64_t hidden = 128;
  double lr = 0.1;
  std::int64_t train_limit = 0;  // 0: the whole training set
  std::string data_dir = kDefaultDataDir;
  std::uint64_t seed = 0;
};

// --- IDX reading ------------------------------------------------------------------------

// Reads exactly n bytes from a gzip stream, or throws naming the file and offset.
void read_exact(gzFile f, const std::string& path, void* out, std::size_t n, std::size_t offset) {
  auto* bytes = static_cast<unsigned char*>(out);
  std::size_t done = 0;
  while (done < n) {
    // gzread takes an unsigned count; read in chunks well below its limit.
    const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 24));
    const int got = gzread(f, bytes + done, chunk);
    if (got < 0) {
      int errnum = 0;
      const char* msg = gzerror(f, &errnum);
      throw xg::FormatError(path + ": gzip error at byte " + std::to_string(offset + done) + ": " +
                            msg);
    }
    if (got == 0) {
      throw xg::FormatError(path + ": truncated at byte " + std::to_string(offset + done) +
                            ", expected " + std::to_string(offset + n) + " bytes");
    }
    done += static_cast<std::size_t>(got);
  }
}

std::uint32_t big_endian_u32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

// An IDX file of unsigned bytes: its dimensions and values.
struct Idx {
  std::vector<std::uint32_t> dims;
  std::vector<unsigned char> values;
};

// Reads a gzip'd IDX file of unsigned bytes with `rank` dimensions. The header is a magic
// number 0x0000 08 rank (0x08 = unsigned byte) followed by rank big-endian sizes; exactly
// the product of the sizes must follow.
Idx read_idx(const std::string& path, std::uint32_t rank) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (f == nullptr) throw std::runtime_error(path + ": cannot open");
  struct Closer {
    gzFile f;
    ~Closer() { gzclose(f); }
  } closer{f};

  unsigned char header[4];
  read_exact(f, path, header, 4, 0);
  const std::uint32_t magic = big_endian_u32(header);
  const std::uint32_t expected_magic = 0x00000800u | rank;
  if (magic != expected_magic) {
    char buf[160];
    std::snprintf(buf, sizeof buf, ": bad IDX magic number 0x%08x at byte 0, expected 0x%08x",
                  magic, expected_magic);
    throw xg::FormatError(path + buf);
  }
  Idx idx;
  std::size_t count = 1;
  for (std::uint32_t i = 0; i < rank; ++i) {
    unsigned char size[4];
    read_exact(f, path, size, 4, 4 + 4 * i);
    const std::uint32_t d = big_endian_u32(size);
    if (d == 0 || d > (1u << 24)) {
      throw xg::FormatError(path + ": implausible size " + std::to_string(d) + " of axis " +
                            std::to_string(i) + " at byte " + std::to_string(4 + 4 * i));
    }
    idx.dims.push_back(d);
    count *= d;
  }
  const std::size_t header_bytes = 4 + 4 * std::size_t{rank};
  idx.values.resize(count);
  read_exact(f, path, idx.values.data(), count, header_bytes);
  unsigned char extra = 0;
  if (gzread(f, &extra, 1) != 0) {
    throw xg::FormatError(path + ": unexpected data after byte " +
                          std::to_string(header_bytes + count));
  }
  return idx;
}

// A split of Fashion-MNIST: images scaled to [0, 1], row-major (n, 784), and labels 0..9.
struct Split {
  std::vector<float> images;
  std::vector<std::int64_t> labels;
  std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
};

constexpr std::int64_t kPixels = 28 * 28;
constexpr std::int64_t kClasses = 10;

Split load_split(const std::string& dir, const std::string& prefix) {
  const std::string images_path = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  for (const auto& p : {images_path, labels_path}) {
    if (!std::filesystem::exists(p)) {
      throw std::runtime_error(p +
                               " not found. Install the data with "
                               "`apt-get install dataset-fashion-mnist` (Debian), or point "
                               "--data-dir / XGRAD_FASHION_MNIST_DIR at a folder holding "
                               "the four *-idx*-ubyte.gz files.");
    }
  }
  const Idx images = read_idx(images_path, 3);
  const Idx labels = read_idx(labels_path, 1);
  if (images.dims[1] != 28 || images.dims[2] != 28) {
    throw xg::FormatError(images_path + ": images are " + std::to_string(images.dims[1]) + "x" +
                          std::to_string(images.dims[2]) + ", expected 28x28");
  }
  if (images.dims[0] != labels.dims[0]) {
    throw xg::FormatError(images_path + " holds " + std::to_string(images.dims[0]) +
                          " images but " + labels_path + " holds " +
                          std::to_string(labels.dims[0]) + " labels");
  }
  Split split;
  split.images.resize(images.values.size());
  std::transform(images.values.begin(), images.values.end(), split.images.begin(),
                 [](unsigned char v) { return static_cast<float>(v) / 255.0f; });
  split.labels.reserve(labels.values.size());
  for (std::size_t i = 0; i < labels.values.size(); ++i) {
    if (labels.values[i] >= kClasses) {
      throw xg::FormatError(labels_path + ": label " + std::to_string(labels.values[i]) +
                            " at byte " + std::to_string(8 + i) + " is not in 0..9");
    }
    split.labels.push_back(labels.values[i]);
  }
  return split;
}

// --- the model --------------------------------------------------------------------------

struct Mlp {
  xg::Tensor w1, b1, w2, b2;

  // Kaiming-normal weights for the ReLU layer, Xavier-like for the output layer.
  Mlp(std::int64_t in, std::int64_t hidden, std::int64_t out)
      : w1(xg::normal({hidden, in}, 0.0, std::sqrt(2.0 / in), {.requires_grad = true})),
        b1(xg::zeros({hidden}, {.requires_grad = true})),
        w2(xg::normal({out, hidden}, 0.0, std::sqrt(1.0 / hidden), {.requires_grad = true})),
        b2(xg::zeros({out}, {.requires_grad = true})) {}

  xg::Tensor forward(const xg::Tensor& x) const {
    return xg::linear(xg::relu(xg::linear(x, w1, b1)), w2, b2);
  }

  std::array<xg::Tensor*, 4> parameters() { return {&w1, &b1, &w2, &b2}; }
};

// Mean negative log-likelihood of the labels (shape (n, 1), i64) under the logits.
xg::Tensor cross_entropy(const xg::Tensor& logits, const xg::Tensor& labels) {
  return -xg::mean(xg::gather(xg::log_softmax(logits, 1), 1, labels));
}

// Copies rows order[begin..end) of the split into a batch of inputs and labels.
void make_batch(const Split& data, const std::vector<std::int64_t>& order, std::int64_t begin,
                std::int64_t end, xg::Tensor& x, xg::Tensor& y) {
  const std::int64_t n = end - begin;
  x = xg::zeros({n, kPixels});
  std::vector<std::int64_t> labels(n);
  auto xs = x.mutable_data<float>();
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t row = order[begin + i];
    std::copy_n(data.images.begin() + row * kPixels, kPixels, xs.begin() + i * kPixels);
    labels[i] = data.labels[row];
  }
  y = xg::tensor_i64(labels, {n, 1});
}

double accuracy(const Mlp& model, const Split& data) {
  xg::NoGradGuard no_grad;
  std::vector<std::int64_t> order(data.size());
  for (std::int64_t i = 0; i < data.size(); ++i) order[i] = i;
  std::int64_t correct = 0;
  const std::int64_t batch = 1000;
  for (std::int64_t begin = 0; begin < data.size(); begin += batch) {
    const std::int64_t end = std::min(begin + batch, data.size());
    xg::Tensor x, y;
    make_batch(data, order, begin, end, x, y);
    const xg::Tensor pred = xg::argmax(model.forward(x), 1);
    correct += static_cast<std::int64_t>(xg::sum(xg::eq(pred, y.reshape({-1}))).item());
  }
  return static_cast<double>(correct) / static_cast<double>(data.size());
}

// --- command line -----------------------------------------------------------------------

// Prints the usage (after `error`, if any) and exits: 0 for --help, 2 for a bad command line.
[[noreturn]] void usage(const std::string& error) {
  std::FILE* out = error.empty() ? stdout : stderr;
  if (!error.empty()) std::fprintf(out, "%s\n", error.c_str());
  std::fprintf(out,
               "usage: train_mlp [--epochs N] [--batch N] [--hidden N] [--lr X]\n"
               "                 [--train-limit N] [--data-dir DIR] [--seed N]\n"
               "Trains a 784-N-10 MLP on Fashion-MNIST (defaults: 5 epochs, batch 64, hidden 128,\n"
               "lr 0.1, the whole training set, %s, seed 0).\n",
               kDefaultDataDir);
  std::exit(error.empty() ? 0 : 2);
}

Options parse_args(int argc, char** argv) {
  Options o;
  if (const char* dir = std::getenv("XGRAD_FASHION_MNIST_DIR"); dir != nullptr && *dir) {
    o.data_dir = dir;
  }
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "-h" || flag == "--help") usage("");
    if (i + 1 >= argc) usage("train_mlp: " + flag + " needs a value");
    const std::string value = argv[++i];
    try {
      if (flag == "--epochs")
        o.epochs = std::stoi(value);
      else if (flag == "--batch")
        o.batch = std::stoll(value);
      else if (flag == "--hidden")
        o.hidden = std::stoll(value);
      else if (flag == "--lr")
        o.lr = std::stod(value);
      else if (flag == "--train-limit")
        o.train_limit = std::stoll(value);
      else if (flag == "--data-dir")
        o.data_dir = value;
      else if (flag == "--seed")
        o.seed = std::stoull(value);
      else
        usage("train_mlp: unknown option " + flag);
    } catch (const std::logic_error&) {
      usage("train_mlp: bad value '" + value + "' for " + flag);
    }
  }
  if (o.epochs < 1 || o.batch < 1 || o.hidden < 1 || o.lr <= 0 || o.train_limit < 0) {
    usage("train_mlp: epochs, batch and hidden must be >= 1, lr > 0, train-limit >= 0");
  }
  return o;
}

int run(const Options& opt) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  Split train = load_split(opt.data_dir, "train");
  const Split test = load_split(opt.data_dir, "t10k");
  if (opt.train_limit > 0 && opt.train_limit < train.size()) {
    train.images.resize(opt.train_limit * kPixels);
    train.labels.resize(opt.train_limit);
  }
  const double load_s = std::chrono::duration<double>(clock::now() - t0).count();
  std::printf("Fashion-MNIST from %s: %lld train, %lld test images (loaded in %.1f s)\n",
              opt.data_dir.c_str(), static_cast<long long>(train.size()),
              static_cast<long long>(test.size()), load_s);
  std::printf("MLP %lld-%lld-%lld, SGD lr %g, batch %lld, %d epochs, BLAS kernel %s\n",
              static_cast<long long>(kPixels), static_cast<long long>(opt.hidden),
              static_cast<long long>(kClasses), opt.lr, static_cast<long long>(opt.batch),
              opt.epochs, xg::blas_kernel().c_str());

  xg::manual_seed(opt.seed);
  Mlp model(kPixels, opt.hidden, kClasses);

  for (int epoch = 1; epoch <= opt.epochs; ++epoch) {
    const auto start = clock::now();
    const std::vector<std::int64_t> order = xg::randperm(train.size()).to_vector<std::int64_t>();
    double loss_sum = 0.0;
    std::int64_t batches = 0;
    for (std::int64_t begin = 0; begin < train.size(); begin += opt.batch) {
      const std::int64_t end = std::min(begin + opt.batch, train.size());
      xg::Tensor x, y;
      make_batch(train, order, begin, end, x, y);

      for (xg::Tensor* p : model.parameters()) p->zero_grad();
      const xg::Tensor loss = cross_entropy(model.forward(x), y);
      loss.backward();

      // Plain SGD, in place: the update must not be recorded in the graph.
      xg::NoGradGuard no_grad;
      const float lr = static_cast<float>(opt.lr);
      for (xg::Tensor* p : model.parameters()) {
        auto w = p->mutable_data<float>();
        const auto g = p->grad().data<float>();
        for (std::size_t i = 0; i < w.size(); ++i) w[i] -= lr * g[i];
      }
      loss_sum += loss.item();
      ++batches;
    }
    const double seconds = std::chrono::duration<double>(clock::now() - start).count();
    std::printf("epoch %d  train loss %.4f  test accuracy %.2f%%  (%.1f s)\n", epoch,
                loss_sum / static_cast<double>(batches), 100.0 * accuracy(model, test), seconds);
    std::fflush(stdout);
  }
  const double acc = accuracy(model, test);
  std::printf("final test accuracy: %.2f%% (%lld images)\n", 100.0 * acc,
              static_cast<long long>(test.size()));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_args(argc, argv);
  try {
    return run(opt);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_mlp: %s\n", e.what());
    return 1;
  }
}
