// The thread pool behind parallel_for; see Note [parallel loops] in
// autograd/detail/parallel.hpp.
#include "autograd/detail/parallel.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "autograd/runtime.hpp"

namespace xg::detail {
namespace {

constexpr std::int64_t kChunkAlign = kParallelChunkAlign;

thread_local bool in_pool_chunk = false;

class Pool {
 public:
  // Runs the job; the caller holds run_mutex_ (one job at a time).
  void run(int chunks, std::int64_t n, void (*fn)(void*, std::int64_t, std::int64_t), void* ctx) {
    grow(chunks - 1);
    const std::int64_t per = (n + chunks - 1) / chunks;
    const std::int64_t step = (per + kChunkAlign - 1) / kChunkAlign * kChunkAlign;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = fn;
      ctx_ = ctx;
      n_ = n;
      step_ = step;
      chunks_ = chunks;
      remaining_ = chunks - 1;
      ++generation_;
    }
    start_.notify_all();
    run_chunk(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return remaining_ == 0; });
  }

  std::mutex& run_mutex() { return run_mutex_; }

 private:
  // Runs chunk i of the current job (nothing when the job has fewer chunks or elements).
  // noexcept: a throwing body would leave the other chunks running on a job whose caller
  // is gone, so it ends the program instead.
  void run_chunk(int i) noexcept {
    const std::int64_t begin = std::min(n_, step_ * i);
    const std::int64_t end = std::min(n_, begin + step_);
    if (begin < end) {
      in_pool_chunk = true;
      fn_(ctx_, begin, end);
      in_pool_chunk = false;
    }
  }

  void grow(int workers) {
    for (; workers_ < workers; ++workers_) {
      const int index = workers_ + 1;                        // chunk 0 is the caller's
      std::thread([this, index] { work(index); }).detach();  // lives until the process ends
    }
  }

  void work(int index) {
    std::uint64_t seen = 0;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        start_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (index >= chunks_) continue;  // this job has fewer chunks than the pool threads
      }
      // The job's fields do not change until every chunk is done (remaining_ is 0).
      run_chunk(index);
      std::lock_guard<std::mutex> lock(mutex_);
      if (--remaining_ == 0) done_.notify_one();
    }
  }

  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable start_, done_;
  int workers_ = 0;
  void (*fn_)(void*, std::int64_t, std::int64_t) = nullptr;
  void* ctx_ = nullptr;
  std::int64_t n_ = 0, step_ = 0;
  int chunks_ = 0, remaining_ = 0;
  std::uint64_t generation_ = 0;
};

// Never destroyed: its threads may still be waiting when the process exits. After a
// fork the child has none of them, so it starts a new pool (the old one is left as it
// was, possibly locked by a thread that does not exist in the child).
Pool* pool = nullptr;
std::once_flag atfork_once;

Pool& the_pool() {
  std::call_once(atfork_once, [] { pthread_atfork(nullptr, nullptr, [] { pool = nullptr; }); });
  static std::mutex create;
  std::lock_guard<std::mutex> lock(create);
  if (pool == nullptr) pool = new Pool();
  return *pool;
}

}  // namespace

void parallel_run(std::int64_t n, void (*fn)(void*, std::int64_t, std::int64_t), void* ctx) {
  const int threads = get_num_threads();
  if (threads < 2 || in_pool_chunk) {
    fn(ctx, 0, n);
    return;
  }
  Pool& p = the_pool();
  std::unique_lock<std::mutex> busy(p.run_mutex(), std::try_to_lock);
  if (!busy.owns_lock()) {  // another thread's loop is running: do not wait for it
    fn(ctx, 0, n);
    return;
  }
  const auto chunks =
      static_cast<int>(std::min<std::int64_t>(threads, (n + kChunkAlign - 1) / kChunkAlign));
  p.run(chunks, n, fn, ctx);
}

}  // namespace xg::detail
