// Tests of the loops split over threads (autograd/detail/parallel.hpp, Note [parallel
// loops]): every element is visited once, results do not depend on the thread count, and
// nested, concurrent and forked use neither deadlocks nor loses work.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "autograd/detail/parallel.hpp"
#include "support/check.hpp"

using namespace xg;

namespace {

// Sets the thread count for one scope and puts the previous one back.
struct ThreadsGuard {
  explicit ThreadsGuard(int n) : previous(get_num_threads()) { set_num_threads(n); }
  ~ThreadsGuard() { set_num_threads(previous); }
  int previous;
};

// How many times parallel_for visited each index of [0, n).
std::vector<int> visits(std::int64_t n) {
  std::vector<std::atomic<int>> count(static_cast<std::size_t>(n));
  detail::parallel_for(n, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t i = b; i < e; ++i) count[static_cast<std::size_t>(i)].fetch_add(1);
  });
  std::vector<int> out;
  out.reserve(count.size());
  for (auto& c : count) out.push_back(c.load());
  return out;
}

std::vector<std::uint32_t> bits(const Tensor& t) {
  const std::vector<float> v = t.to_vector<float>();
  std::vector<std::uint32_t> out(v.size());
  std::memcpy(out.data(), v.data(), v.size() * sizeof(float));
  return out;
}

}  // namespace

TEST_CASE("parallel_for visits every index exactly once, for any thread count") {
  const std::int64_t min = detail::kParallelMinElements;
  for (int threads : {1, 2, 3}) {
    ThreadsGuard guard(threads);
    for (std::int64_t n : {std::int64_t{0}, std::int64_t{1}, min - 1, min, min + 1, 3 * min + 77}) {
      INFO("threads " << threads << ", n " << n);
      const std::vector<int> v = visits(n);
      CHECK(std::count(v.begin(), v.end(), 1) == n);
    }
  }
}

TEST_CASE("ops on large tensors give the same bits on 1 and 2 threads") {
  const std::int64_t n = 3 * detail::kParallelMinElements + 5;
  manual_seed(31);
  const Tensor a = randn({n});
  const Tensor b = randn({n});
  auto run = [&] {
    return std::vector<std::vector<std::uint32_t>>{bits(exp(a)),  bits(a * b),      bits(a + b),
                                                   bits(tanh(a)), bits(sigmoid(b)), bits(relu(a))};
  };
  std::vector<std::vector<std::uint32_t>> one, two;
  {
    ThreadsGuard guard(1);
    one = run();
  }
  {
    ThreadsGuard guard(2);
    two = run();
  }
  CHECK(one == two);
  // And against the definition, element by element.
  const auto av = a.to_vector<float>(), bv = b.to_vector<float>();
  const auto prod = (a * b).to_vector<float>();
  std::int64_t wrong = 0;
  for (std::size_t i = 0; i < av.size(); ++i) wrong += prod[i] != av[i] * bv[i];
  CHECK(wrong == 0);
  // Gradients through the split loops: d/da sum(relu(a) * b) = b where a > 0.
  ThreadsGuard guard(2);
  Tensor leaf = a.detach().requires_grad_();
  (relu(leaf) * b).sum().backward();
  const auto g = leaf.grad().to_vector<float>();
  std::int64_t bad = 0;
  for (std::size_t i = 0; i < av.size(); ++i) bad += g[i] != (av[i] > 0 ? bv[i] : 0.0f);
  CHECK(bad == 0);
}

TEST_CASE("parallel_for inside a chunk and from two threads at once runs to the end") {
  ThreadsGuard guard(2);
  const std::int64_t n = 2 * detail::kParallelMinElements;
  std::atomic<std::int64_t> inner{0};
  detail::parallel_for(n, [&](std::int64_t b, std::int64_t e) {
    // A nested loop runs serially on this thread.
    detail::parallel_for(n, [&](std::int64_t ib, std::int64_t ie) { inner += ie - ib; });
    (void)b;
    (void)e;
  });
  CHECK(inner.load() == 2 * n);  // two chunks, each with a whole nested loop

  std::atomic<std::int64_t> total{0};
  auto worker = [&] {
    for (int r = 0; r < 50; ++r) {
      detail::parallel_for(n, [&](std::int64_t b, std::int64_t e) { total += e - b; });
    }
  };
  std::thread t1(worker), t2(worker);
  t1.join();
  t2.join();
  CHECK(total.load() == 100 * n);
}

TEST_CASE("a forked child can still run split loops") {
  ThreadsGuard guard(2);
  const std::int64_t n = 2 * detail::kParallelMinElements;
  CHECK(visits(n) == std::vector<int>(static_cast<std::size_t>(n), 1));  // the pool exists
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    alarm(20);  // a deadlock ends the child with SIGALRM instead of hanging the test
    const std::vector<int> v = visits(n);
    _exit(std::count(v.begin(), v.end(), 1) == n ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
