// Out of memory surfaces as std::bad_alloc: the destructors that run while it unwinds the
// stack (a tensor's buffer going back to the buffer cache, a graph's nodes) must not
// allocate, or the exception becomes std::terminate. The global allocation functions are
// replaced here (for the whole test_autograd binary) by ones that forward to malloc /
// aligned_alloc and fail on demand on one thread; each case runs in a forked child, so a
// terminate shows as a failed check, not a lost test run. Under AddressSanitizer (which
// owns the allocation functions) the cases are left out.
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <new>
#include <thread>
#include <vector>

#include "support/check.hpp"

#ifndef __SANITIZE_ADDRESS__

#include "support/replaced_allocation.hpp"

namespace {
thread_local bool g_fail_allocations = false;  // every allocation on this thread throws
thread_local long g_allocations_left = -1;     // >= 0: this many more succeed, then none
}  // namespace

void on_test_allocation() {
  if (g_fail_allocations || g_allocations_left == 0) throw std::bad_alloc();
  if (g_allocations_left > 0) --g_allocations_left;
}

namespace {

// Runs `doomed` (which builds what the unwinding will destroy and returns it) on a fresh
// thread of a forked child, so that the thread's buffer cache and destruction state start
// empty; then makes every allocation fail and allocates a tensor. Returns the child's
// exit status: 0 when the std::bad_alloc was caught, 1 when nothing threw, anything else
// (SIGABRT from std::terminate) a failure.
int bad_alloc_while_destroying(const std::function<xg::Tensor()>& doomed) {
  const pid_t pid = fork();
  if (pid == 0) {
    int code = 1;
    std::thread t([&] {
      xg::Tensor held = doomed();
      try {
        const xg::Tensor dies_in_the_unwinding = std::move(held);
        g_fail_allocations = true;
        xg::Tensor more = xg::zeros({12345});  // a size nothing here has freed
        (void)more;
      } catch (const std::bad_alloc&) {
        code = 0;
      }
      g_fail_allocations = false;
    });
    t.join();
    _exit(code);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

// Runs op in a forked child with its first k allocations allowed, for k = 0, 1, ... until
// it succeeds: every failure must be a std::bad_alloc. Returns the child's exit status
// (0: every allocation could fail; SIGABRT from std::terminate is a failure).
int every_allocation_may_fail(const std::function<void()>& op) {
  const pid_t pid = fork();
  if (pid == 0) {
    for (long k = 0; k < 100000; ++k) {
      g_allocations_left = k;
      try {
        op();
        g_allocations_left = -1;
        _exit(0);
      } catch (const std::bad_alloc&) {
        g_allocations_left = -1;
      }
    }
    _exit(1);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

}  // namespace

TEST_CASE("an op whose allocations fail throws std::bad_alloc, whichever fails") {
  // Including those the SIMD-cloned loops once made (broadcasting, reductions).
  const xg::Tensor a = xg::ones({2, 1, 3}), b = xg::ones({4, 1}), x = xg::ones({3, 4});
  CHECK(every_allocation_may_fail([&] { (void)(a + b); }) == 0);
  CHECK(every_allocation_may_fail([&] { (void)xg::sum(x, {0}); }) == 0);
  CHECK(every_allocation_may_fail([&] { (void)xg::max(x, {1}); }) == 0);
  CHECK(every_allocation_may_fail([&] { (void)xg::var(x, {1}); }) == 0);
  CHECK(every_allocation_may_fail([&] { (void)xg::logsumexp(x, {0}); }) == 0);
}

TEST_CASE("a buffer freed while a bad_alloc unwinds does not terminate") {
  // The buffer's size class is new to the thread's cache, whose list would have to grow.
  CHECK(bad_alloc_while_destroying([] { return xg::ones({3001}); }) == 0);
}

TEST_CASE("a graph destroyed while a bad_alloc unwinds does not terminate") {
  // A chain of adds whose inputs are also products with a saved operand of a size of its
  // own: destroying it queues nodes (a queue that would have to grow) and frees buffers.
  CHECK(bad_alloc_while_destroying([] {
          const xg::Tensor x = xg::ones({4}, {.requires_grad = true});
          const xg::Tensor w = xg::ones({4000, 4});
          xg::Tensor total = x * 0.0;
          for (int i = 0; i < 1000; ++i) total = total + (w * x).sum(xg::Axes{0});
          return total;
        }) == 0);
}

TEST_CASE("a deep graph destroyed while a bad_alloc unwinds does not terminate") {
  // 2 * 10^5 ops: destroyed without allocating, and without recursing either.
  CHECK(bad_alloc_while_destroying([] {
          xg::Tensor y = xg::ones({2}, {.requires_grad = true});
          for (int i = 0; i < 200000; ++i) y = y * 1.0;
          return y;
        }) == 0);
}

#else

TEST_CASE("out-of-memory destructor tests") {
  MESSAGE("skipped under AddressSanitizer, which owns the allocation functions");
}

#endif  // __SANITIZE_ADDRESS__
