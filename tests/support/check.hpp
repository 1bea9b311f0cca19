// Helpers shared by the tests: value comparison, gradcheck and error-message assertions.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace xg::test {

// Every value of t (any dtype) equals the expected one within tol (absolute + relative).
inline void check_values(const Tensor& t, const std::vector<double>& expected, double tol = 1e-6) {
  const auto got = t.to_vector<double>();
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i << ": got " << got[i] << ", expected " << expected[i]);
    if (std::isnan(expected[i])) {
      CHECK(std::isnan(got[i]));
    } else if (std::isinf(expected[i])) {
      CHECK(got[i] == expected[i]);
    } else {
      CHECK(std::abs(got[i] - expected[i]) <= tol * (1.0 + std::abs(expected[i])));
    }
  }
}

// gradcheck passes for fn on inputs (f64, requires_grad).
inline void check_gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                            const std::vector<Tensor>& inputs, const GradcheckOptions& opts = {}) {
  const GradcheckResult r = gradcheck(fn, inputs, opts);
  INFO(r.message);
  CHECK(r.ok);
}

// A random f64 leaf that requires grad, values uniform in [low, high).
inline Tensor rand_f64(const Shape& shape, double low = -1.0, double high = 1.0) {
  return uniform(shape, low, high, {.dtype = f64, .requires_grad = true});
}

// fn() gives the same values, bit for bit, with 1 and with 2 threads (xg::set_num_threads;
// the values of all its tensors, as doubles, which hold f32 exactly).
inline void check_same_bits_for_threads(const std::function<std::vector<Tensor>()>& fn) {
  const int previous = get_num_threads();
  std::vector<double> runs[2];
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    for (const Tensor& t : fn()) {
      const auto v = t.to_vector<double>();
      runs[threads - 1].insert(runs[threads - 1].end(), v.begin(), v.end());
    }
  }
  set_num_threads(previous);
  CHECK(runs[0] == runs[1]);
}

// f() throws exactly E and the message contains every fragment.
template <class E, class F> void check_throws(F&& f, const std::vector<std::string>& fragments) {
  bool thrown = false;
  try {
    f();
  } catch (const E& e) {
    thrown = true;
    const std::string msg = e.what();
    for (const auto& frag : fragments) {
      INFO("message: " << msg);
      INFO("missing: " << frag);
      CHECK(msg.find(frag) != std::string::npos);
    }
  }
  CHECK_MESSAGE(thrown, "expected exception was not thrown");
}

// 0, 1, ..., numel-1 in the given shape and dtype.
inline Tensor iota(const Shape& shape, Dtype dtype = f64) {
  std::int64_t n = 1;
  for (auto s : shape) n *= s;
  return reshape(arange(static_cast<double>(n), {.dtype = dtype}), shape);
}

// Gradient of sum(op(x)^3) with respect to x, recorded so that gradcheck differentiates
// it again: checks that an op's backward is itself correctly differentiable.
inline std::function<Tensor(const std::vector<Tensor>&)> second_order(
    std::function<Tensor(const Tensor&)> op) {
  return [op](const std::vector<Tensor>& in) {
    // gradcheck evaluates fn under NoGradGuard for its finite differences; this fn needs
    // a graph to differentiate even then.
    EnableGradGuard enable_grad;
    const Tensor y = op(in[0]);
    const Tensor loss = (y * y * y).sum();
    return xg::grad({loss}, {in[0]}, {.create_graph = true})[0];
  };
}

}  // namespace xg::test
