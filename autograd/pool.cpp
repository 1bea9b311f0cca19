// The per-thread block pool behind make_pooled.
#include "autograd/detail/pool.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define XGRAD_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XGRAD_POOL_ASAN 1
#endif
#endif

namespace xg::detail {

// Note [object pool]
// Each op makes a TensorImpl and a Storage for its result, and a recorded op a Node;
// for a small model these allocations, with their frees, were the largest cost of a
// training step after the buffers themselves were cached (Note [buffer cache]). Freed
// blocks are therefore kept on per-thread free lists, one per 16-byte size class, and
// handed out again without locking. A block freed on another thread than the one that
// made it simply joins that thread's list: every block comes from operator new, and the
// lists give it back to operator delete when their thread ends or a list is full. Under
// AddressSanitizer the pool is bypassed so that a use after free is still reported.
namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kMaxPooledBytes = 512;
constexpr std::size_t kNumClasses = kMaxPooledBytes / kGranule;
constexpr std::size_t kMaxBlocksPerClass = 4096;

struct FreeBlock {
  FreeBlock* next;
};

thread_local bool pool_gone = false;  // trivially destructible: safe to read at exit

struct Pool {
  FreeBlock* head[kNumClasses] = {};
  std::size_t count[kNumClasses] = {};
  ~Pool() {
    pool_gone = true;
    for (FreeBlock* b : head) {
      while (b != nullptr) {
        FreeBlock* next = b->next;
        ::operator delete(b);
        b = next;
      }
    }
  }
};

Pool& pool() {
  thread_local Pool p;
  return p;
}

// The class of a pooled size, and the block size every block of it has.
std::size_t size_class(std::size_t bytes) { return (bytes - 1) / kGranule; }
std::size_t class_bytes(std::size_t cls) { return (cls + 1) * kGranule; }

}  // namespace

void* pool_allocate(std::size_t bytes) {
#ifndef XGRAD_POOL_ASAN
  if (bytes != 0 && bytes <= kMaxPooledBytes) {
    const std::size_t cls = size_class(bytes);
    if (!pool_gone) {
      Pool& p = pool();
      if (FreeBlock* b = p.head[cls]) {
        p.head[cls] = b->next;
        --p.count[cls];
        return b;
      }
    }
    // Always the class's full size: the block may later be reused for any size of it.
    return ::operator new(class_bytes(cls));
  }
#endif
  return ::operator new(bytes);
}

void pool_deallocate(void* ptr, std::size_t bytes) noexcept {
#ifndef XGRAD_POOL_ASAN
  if (bytes != 0 && bytes <= kMaxPooledBytes && !pool_gone) {
    const std::size_t cls = size_class(bytes);
    Pool& p = pool();
    if (p.count[cls] < kMaxBlocksPerClass) {
      auto* b = static_cast<FreeBlock*>(ptr);
      b->next = p.head[cls];
      p.head[cls] = b;
      ++p.count[cls];
      return;
    }
  }
#endif
  ::operator delete(ptr);
}

}  // namespace xg::detail
