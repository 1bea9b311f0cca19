// Storage: the 64-byte aligned buffers behind tensors, and the per-thread buffer cache.

#include <sys/mman.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>

#include "autograd/detail/impl.hpp"
#include "autograd/detail/pool.hpp"
#include "autograd/engine.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define XGRAD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XGRAD_ASAN 1
#endif
#endif
#ifdef XGRAD_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace xg {

// ---- storage ---------------------------------------------------------------------------

namespace detail {

// Note [buffer cache]
// A training loop allocates and frees the same buffer sizes every step; going to malloc
// (with 64-byte alignment, which takes glibc's slow memalign path, and page faults for
// large blocks) for each of them was the largest cost of small models. Freed buffers are
// therefore kept in a per-thread cache of size classes (four per power of two, so at most
// 25% of a block is unused) and handed out again. The cache holds at most
// kMaxCachedBytes per thread and is emptied when the thread ends.
namespace {

constexpr std::size_t kMaxCachedBytes = std::size_t{256} << 20;
constexpr std::size_t kMaxBlocksPerClass = 64;
constexpr int kNumClasses = 1 + 58 * 4;

// The class of an n-byte request and the block size it is rounded up to.
int size_class(std::size_t n, std::size_t& rounded) {
  if (n <= 64) {
    rounded = 64;
    return 0;
  }
  const int e = 63 - __builtin_clzll(n - 1);  // 2^e < n <= 2^(e+1), e >= 6
  const std::size_t step = std::size_t{1} << (e - 2);
  rounded = (n + step - 1) & ~(step - 1);
  return 1 + (e - 6) * 4 + static_cast<int>(rounded / step - 5);
}

// Buffers of 8 MiB and more ask the kernel for transparent huge pages (where it offers
// them on request: /sys/kernel/mm/transparent_hugepage/enabled = madvise, Debian's
// default), before any page is touched. Mini-batches gathered from a shuffled data set
// read rows scattered over all of it (188 MB for Fashion-MNIST), one TLB miss per row with
// 4 KiB pages: a Fashion-MNIST epoch at batch 64 took 3% less time with them. Nothing
// changes where the call fails or huge pages are off.
constexpr std::size_t kHugePage = std::size_t{2} << 20;
constexpr std::size_t kHugePageMinBytes = std::size_t{8} << 20;

void* raw_alloc(std::size_t bytes) {
  void* p = ::operator new (bytes, std::align_val_t{64});
  if (bytes >= kHugePageMinBytes) {
    const auto start = reinterpret_cast<std::uintptr_t>(p);
    const std::uintptr_t first = (start + kHugePage - 1) & ~(kHugePage - 1);
    const std::uintptr_t last = (start + bytes) & ~(kHugePage - 1);
    if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  }
  return p;
}
void raw_free(void* p) { ::operator delete (p, std::align_val_t{64}); }

// Under AddressSanitizer a cached block is poisoned, and a block handed out is addressable
// only up to the bytes asked for: a use after free, or an overflow into the rounding,
// is still reported although the cache never returns the block to malloc.
void asan_poison(void* p, std::size_t n) {
#ifdef XGRAD_ASAN
  __asan_poison_memory_region(p, n);
#else
  (void)p, (void)n;
#endif
}
void asan_unpoison(void* p, std::size_t n) {
#ifdef XGRAD_ASAN
  __asan_unpoison_memory_region(p, n);
#else
  (void)p, (void)n;
#endif
}

struct BufferCache;
// Trivially destructible, so safe to read at exit, and read without an initialisation
// check: the fast path of every Storage is one thread-local read of cache_ptr.
thread_local BufferCache* cache_ptr = nullptr;  // this thread's cache, once made
thread_local bool cache_gone = false;           // the thread is ending: no cache any more

struct BufferCache {
  std::vector<void*> blocks[kNumClasses];
  std::size_t bytes = 0;
  ~BufferCache() {
    cache_gone = true;
    cache_ptr = nullptr;
    for (auto& list : blocks) {
      for (void* p : list) raw_free(p);
    }
  }
};

// This thread's cache, or null while the thread ends.
BufferCache* cache() {
  if (BufferCache* c = cache_ptr) return c;
  if (cache_gone) return nullptr;
  thread_local BufferCache c;
  cache_ptr = &c;
  return &c;
}

}  // namespace

Storage::Storage(Dtype dtype_, std::int64_t numel_) : dtype(dtype_), numel(numel_) {
  // At least one element so ptr is never null; 64-byte alignment suits AVX-512 loads.
  const std::size_t bytes =
      static_cast<std::size_t>(std::max<std::int64_t>(numel, 1)) * dtype_size(dtype);
  std::size_t rounded = 0;
  const int cls = size_class(bytes, rounded);
  if (BufferCache* c = cache()) {
    auto& list = c->blocks[cls];
    if (!list.empty()) {
      ptr = list.back();
      list.pop_back();
      c->bytes -= rounded;
      asan_unpoison(ptr, bytes);
      return;
    }
  }
  ptr = raw_alloc(rounded);
  asan_poison(static_cast<char*>(ptr) + bytes, rounded - bytes);
}

// A destructor may run while a std::bad_alloc unwinds the stack, so this one allocates
// nothing that could throw: it uses the thread's cache only if the thread made one, and
// frees the buffer when the cache's list cannot grow.
Storage::~Storage() {
  const std::size_t bytes =
      static_cast<std::size_t>(std::max<std::int64_t>(numel, 1)) * dtype_size(dtype);
  std::size_t rounded = 0;
  const int cls = size_class(bytes, rounded);
  if (BufferCache* c = cache_ptr) {
    auto& list = c->blocks[cls];
    if (list.size() < kMaxBlocksPerClass && c->bytes + rounded <= kMaxCachedBytes) {
      try {
        list.push_back(ptr);
        asan_poison(ptr, rounded);
        c->bytes += rounded;
        return;
      } catch (const std::bad_alloc&) {
        // Out of memory: the buffer goes back to the system below.
      }
    }
  }
  raw_free(ptr);
}

}  // namespace detail
}  // namespace xg
