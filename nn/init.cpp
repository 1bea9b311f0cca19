// Parameter initialisation. Random values are drawn as a fresh tensor from the library's
// generator (so the stream is the same as xg::uniform / xg::normal with that shape) and
// copied into the target's existing buffer, so that handles held by layers stay valid.
#include "nn/init.hpp"

#include <cmath>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "autograd/function.hpp"
#include "autograd/random.hpp"

namespace xg::nn::init {

namespace {

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

// Checks common to the random initialisers.
void check_float_target(const char* op, const Tensor& t) {
  autograd::check_defined(op, t);
  if (!is_floating(t.dtype())) {
    throw DtypeError(std::string(op) + ": needs a float tensor (f32 or f64), got i64 with shape " +
                     shape_str(t.shape()));
  }
}

// Copies src's values (same shape and dtype) into t's buffer, without recording a graph.
void copy_into(Tensor& t, const Tensor& src) {
  NoGradGuard ng;
  autograd::dispatch(t.dtype(), [&]<class T>() {
    auto dst = t.mutable_data<T>();
    auto values = src.data<T>();
    std::memcpy(dst.data(), values.data(), values.size() * sizeof(T));
  });
}

std::int64_t fan_for_mode(const char* op, const Tensor& t, std::string_view mode) {
  const Fans fans = calculate_fan_in_and_fan_out(t);
  if (mode == "fan_in") return fans.fan_in;
  if (mode == "fan_out") return fans.fan_out;
  throw ValueError(std::string(op) + ": mode \"" + std::string(mode) +
                   "\" not supported, please use one of fan_in, fan_out");
}

double kaiming_std(const char* op, const Tensor& t, double a, std::string_view mode,
                   std::string_view nonlinearity) {
  const std::int64_t fan = fan_for_mode(op, t, mode);
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
}

double xavier_std(const Tensor& t, double gain) {
  const Fans f = calculate_fan_in_and_fan_out(t);
  return gain * std::sqrt(2.0 / static_cast<double>(f.fan_in + f.fan_out));
}

}  // namespace

Fans calculate_fan_in_and_fan_out(const Tensor& t) {
  autograd::check_defined("calculate_fan_in_and_fan_out", t);
  const Shape& s = t.shape();
  if (s.size() < 2) {
    throw ValueError(
        "calculate_fan_in_and_fan_out: fan in and fan out can not be computed for "
        "a tensor with fewer than 2 dimensions, got shape " +
        shape_str(s));
  }
  std::int64_t receptive = 1;
  for (std::size_t i = 2; i < s.size(); ++i) receptive *= s[i];
  return {s[1] * receptive, s[0] * receptive};
}

double calculate_gain(std::string_view nonlinearity, std::optional<double> param) {
  static constexpr std::string_view unit_gain[] = {
      "linear",           "conv1d",           "conv2d",           "conv3d",
      "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid"};
  for (auto name : unit_gain) {
    if (nonlinearity == name) return 1.0;
  }
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") {
    const double slope = param.value_or(0.01);
    if (!std::isfinite(slope)) {
      throw ValueError("calculate_gain: negative_slope " + num(slope) + " is not a valid number");
    }
    return std::sqrt(2.0 / (1.0 + slope * slope));
  }
  // PyTorch's value for SELU, chosen for self-normalising networks.
  if (nonlinearity == "selu") return 3.0 / 4.0;
  throw ValueError("calculate_gain: unsupported nonlinearity \"" + std::string(nonlinearity) +
                   "\" (use linear, conv1d/2d/3d, conv_transpose1d/2d/3d, sigmoid, tanh, relu, "
                   "leaky_relu or selu)");
}

Tensor uniform_(Tensor t, double a, double b) {
  check_float_target("uniform_", t);
  if (!(a <= b) || !std::isfinite(a) || !std::isfinite(b)) {
    throw ValueError("uniform_: need finite a <= b, got a = " + num(a) + ", b = " + num(b));
  }
  if (t.numel() == 0) return t;
  copy_into(t, uniform(t.shape(), a, b, {.dtype = t.dtype()}));
  return t;
}

Tensor normal_(Tensor t, double mean, double stddev) {
  check_float_target("normal_", t);
  if (!(stddev >= 0.0) || !std::isfinite(stddev) || !std::isfinite(mean)) {
    throw ValueError("normal_: need a finite mean and a finite std >= 0, got mean = " + num(mean) +
                     ", std = " + num(stddev));
  }
  if (t.numel() == 0) return t;
  copy_into(t, normal(t.shape(), mean, stddev, {.dtype = t.dtype()}));
  return t;
}

Tensor constant_(Tensor t, double value) {
  autograd::check_defined("constant_", t);
  NoGradGuard ng;
  autograd::dispatch(t.dtype(), [&]<class T>() {
    for (T& v : t.mutable_data<T>()) v = static_cast<T>(value);
  });
  return t;
}

Tensor zeros_(Tensor t) { return constant_(std::move(t), 0.0); }
Tensor ones_(Tensor t) { return constant_(std::move(t), 1.0); }

Tensor xavier_uniform_(Tensor t, double gain) {
  check_float_target("xavier_uniform_", t);
  const double stddev = xavier_std(t, gain);
  if (t.numel() == 0) return t;
  const double bound = std::sqrt(3.0) * stddev;  // U(-b, b) has standard deviation b / sqrt(3)
  return uniform_(std::move(t), -bound, bound);
}

Tensor xavier_normal_(Tensor t, double gain) {
  check_float_target("xavier_normal_", t);
  const double stddev = xavier_std(t, gain);
  if (t.numel() == 0) return t;
  return normal_(std::move(t), 0.0, stddev);
}

Tensor kaiming_uniform_(Tensor t, double a, std::string_view mode, std::string_view nonlinearity) {
  check_float_target("kaiming_uniform_", t);
  // PyTorch returns tensors with no elements untouched before computing fans (fan 0).
  if (t.numel() == 0) {
    calculate_fan_in_and_fan_out(t);
    return t;
  }
  const double stddev = kaiming_std("kaiming_uniform_", t, a, mode, nonlinearity);
  const double bound = std::sqrt(3.0) * stddev;
  return uniform_(std::move(t), -bound, bound);
}

Tensor kaiming_normal_(Tensor t, double a, std::string_view mode, std::string_view nonlinearity) {
  check_float_target("kaiming_normal_", t);
  if (t.numel() == 0) {
    calculate_fan_in_and_fan_out(t);
    return t;
  }
  const double stddev = kaiming_std("kaiming_normal_", t, a, mode, nonlinearity);
  return normal_(std::move(t), 0.0, stddev);
}

// Note [orthogonal init]
// As PyTorch: draw a (rows, cols) standard normal matrix, transpose it when rows < cols so
// that it is tall (m >= n), take its thin QR decomposition and multiply each column of Q
// by the sign of R's diagonal entry. The sign correction makes the decomposition unique,
// so Q is Haar-distributed (uniform over orthogonal matrices) whatever QR algorithm is
// used. We use Householder reflections in double precision, which keep Q orthogonal to
// rounding error even for ill-conditioned draws (classical Gram-Schmidt would not).
Tensor orthogonal_(Tensor t, double gain) {
  check_float_target("orthogonal_", t);
  if (t.dim() < 2) {
    throw ValueError(
        "orthogonal_: only tensors with 2 or more dimensions are supported, got "
        "shape " +
        shape_str(t.shape()));
  }
  if (t.numel() == 0) return t;
  const std::int64_t rows = t.size(0);
  const std::int64_t cols = t.numel() / rows;
  const bool transposed = rows < cols;
  const std::int64_t m = transposed ? cols : rows;  // m >= n
  const std::int64_t n = transposed ? rows : cols;

  // a: the m x n matrix in row-major order. Draw as (rows, cols) and transpose if needed,
  // so the random stream matches a (rows, cols) normal draw.
  const std::vector<double> drawn =
      normal({rows, cols}, 0.0, 1.0, {.dtype = f64}).to_vector<double>();
  std::vector<double> a(static_cast<std::size_t>(m * n));
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const double v = drawn[static_cast<std::size_t>(i * cols + j)];
      if (transposed) {
        a[static_cast<std::size_t>(j * n + i)] = v;
      } else {
        a[static_cast<std::size_t>(i * n + j)] = v;
      }
    }
  }
  auto at = [&](std::vector<double>& mat, std::int64_t i, std::int64_t j) -> double& {
    return mat[static_cast<std::size_t>(i * n + j)];
  };

  // Householder: for each column k, reflect a[k:, k] onto alpha * e_k; keep the unit
  // vectors v_k and R's diagonal.
  std::vector<std::vector<double>> vs(static_cast<std::size_t>(n));
  std::vector<double> r_diag(static_cast<std::size_t>(n));
  for (std::int64_t k = 0; k < n; ++k) {
    double norm2 = 0.0;
    for (std::int64_t i = k; i < m; ++i) norm2 += at(a, i, k) * at(a, i, k);
    const double norm = std::sqrt(norm2);
    const double x0 = at(a, k, k);
    // alpha has the opposite sign of x0, so v = x - alpha e1 does not cancel.
    const double alpha = x0 >= 0 ? -norm : norm;
    std::vector<double> v(static_cast<std::size_t>(m - k));
    for (std::int64_t i = k; i < m; ++i) v[static_cast<std::size_t>(i - k)] = at(a, i, k);
    v[0] -= alpha;
    double vnorm2 = 0.0;
    for (double x : v) vnorm2 += x * x;
    r_diag[static_cast<std::size_t>(k)] = alpha;
    if (vnorm2 > 0.0) {
      const double inv = 1.0 / std::sqrt(vnorm2);
      for (double& x : v) x *= inv;
      // a[k:, k:] -= 2 v (v^T a[k:, k:])
      for (std::int64_t j = k; j < n; ++j) {
        double dot = 0.0;
        for (std::int64_t i = k; i < m; ++i)
          dot += v[static_cast<std::size_t>(i - k)] * at(a, i, j);
        for (std::int64_t i = k; i < m; ++i)
          at(a, i, j) -= 2.0 * dot * v[static_cast<std::size_t>(i - k)];
      }
    } else {
      // The column is already zero below the diagonal: no reflection (H = I).
      r_diag[static_cast<std::size_t>(k)] = x0;
      std::fill(v.begin(), v.end(), 0.0);
    }
    vs[static_cast<std::size_t>(k)] = std::move(v);
  }

  // Thin Q = H_0 H_1 ... H_{n-1} [I_n; 0], applied from the last reflection backwards.
  std::vector<double> q(static_cast<std::size_t>(m * n), 0.0);
  for (std::int64_t i = 0; i < n; ++i) at(q, i, i) = 1.0;
  for (std::int64_t k = n - 1; k >= 0; --k) {
    const auto& v = vs[static_cast<std::size_t>(k)];
    for (std::int64_t j = 0; j < n; ++j) {
      double dot = 0.0;
      for (std::int64_t i = k; i < m; ++i) dot += v[static_cast<std::size_t>(i - k)] * at(q, i, j);
      if (dot == 0.0) continue;
      for (std::int64_t i = k; i < m; ++i)
        at(q, i, j) -= 2.0 * dot * v[static_cast<std::size_t>(i - k)];
    }
  }
  // Sign correction (Note [orthogonal init]); a zero diagonal keeps its column as is.
  for (std::int64_t j = 0; j < n; ++j) {
    if (r_diag[static_cast<std::size_t>(j)] < 0) {
      for (std::int64_t i = 0; i < m; ++i) at(q, i, j) = -at(q, i, j);
    }
  }

  // Back to (rows, cols), times gain.
  std::vector<double> out(static_cast<std::size_t>(rows * cols));
  for (std::int64_t i = 0; i < rows; ++i) {
    for (std::int64_t j = 0; j < cols; ++j) {
      const double v = transposed ? at(q, j, i) : at(q, i, j);
      out[static_cast<std::size_t>(i * cols + j)] = gain * v;
    }
  }
  copy_into(t, tensor(out, t.shape(), {.dtype = f64}).to(t.dtype()));
  return t;
}

}  // namespace xg::nn::init
