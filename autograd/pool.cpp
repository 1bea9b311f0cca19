// The per-thread block pool behind make_pooled.
#include "autograd/detail/pool.hpp"

#include <cstdint>

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
// lists give it back to operator delete when their thread ends, or at once when the
// thread keeps 4096 blocks of that size or 4 MiB in all already, or has never allocated
// from the pool (freeing, which destructors do, must not allocate a list's Reaper). Under
// AddressSanitizer the pool is bypassed so that a use after free is still reported.
namespace {

constexpr std::size_t kGranule = 16;
constexpr std::size_t kMaxPooledBytes = 512;
constexpr std::size_t kNumClasses = kMaxPooledBytes / kGranule;
constexpr std::size_t kMaxBlocksPerClass = 4096;
constexpr std::size_t kMaxKeptBytes = std::size_t{4} << 20;  // per thread

struct FreeBlock {
  FreeBlock* next;
};

// The lists are plain data, zero-initialised, so that reaching them costs one thread-local
// access with no initialisation check (this runs several times per op). Freeing them at
// thread exit is left to a Reaper, a thread-local with a destructor that a thread creates
// only when it first keeps a block.
struct Lists {
  FreeBlock* head[kNumClasses];
  std::uint32_t count[kNumClasses];
  std::size_t bytes;  // kept in all lists
  bool reaper_armed;  // this thread's Reaper exists
  bool gone;          // the thread is ending and its lists were freed
};
thread_local Lists lists;

struct Reaper {
  ~Reaper() {
    lists.gone = true;
    for (FreeBlock*& head : lists.head) {
      while (head != nullptr) {
        FreeBlock* next = head->next;
        ::operator delete(head);
        head = next;
      }
    }
  }
};

void arm_reaper() {
  thread_local Reaper reaper;
  (void)reaper;
  lists.reaper_armed = true;
}

// The class of a pooled size, and the block size every block of it has.
std::size_t size_class(std::size_t bytes) { return (bytes - 1) / kGranule; }
std::size_t class_bytes(std::size_t cls) { return (cls + 1) * kGranule; }

}  // namespace

void* pool_allocate(std::size_t bytes) {
#ifndef XGRAD_POOL_ASAN
  if (bytes != 0 && bytes <= kMaxPooledBytes) {
    const std::size_t cls = size_class(bytes);
    Lists& l = lists;
    if (FreeBlock* b = l.head[cls]) {  // empty once the thread's lists are gone
      l.head[cls] = b->next;
      --l.count[cls];
      l.bytes -= class_bytes(cls);
      return b;
    }
    // Armed here, not when the first block is kept: registering a thread_local's destructor
    // may allocate, and pool_deallocate runs in destructors, which must not.
    if (!l.reaper_armed) arm_reaper();
    // Always the class's full size: the block may later be reused for any size of it.
    return ::operator new(class_bytes(cls));
  }
#endif
  return ::operator new(bytes);
}

void pool_deallocate(void* ptr, std::size_t bytes) noexcept {
#ifndef XGRAD_POOL_ASAN
  if (bytes != 0 && bytes <= kMaxPooledBytes) {
    const std::size_t cls = size_class(bytes);
    Lists& l = lists;
    // A thread that never allocated from the pool keeps no blocks (it has no Reaper).
    if (!l.gone && l.reaper_armed && l.count[cls] < kMaxBlocksPerClass &&
        l.bytes + class_bytes(cls) <= kMaxKeptBytes) {
      auto* b = static_cast<FreeBlock*>(ptr);
      b->next = l.head[cls];
      l.head[cls] = b;
      ++l.count[cls];
      l.bytes += class_bytes(cls);
      return;
    }
  }
#endif
  ::operator delete(ptr);
}

}  // namespace xg::detail
