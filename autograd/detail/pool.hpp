// A per-thread pool of small blocks for the objects every op creates and frees: tensors'
// TensorImpl and Storage and graph Nodes, each with its shared_ptr control block. See
// Note [object pool] in autograd/pool.cpp. Not installed.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace xg::detail {

// A block of at least `bytes` bytes, aligned for any type up to operator new's default
// alignment; give it back with pool_deallocate and the same size. Either call may happen
// on any thread.
void* pool_allocate(std::size_t bytes);
void pool_deallocate(void* p, std::size_t bytes) noexcept;

// A stateless allocator over the pool, for std::allocate_shared.
template <class T> struct PoolAllocator {
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "the pool aligns like new");
  using value_type = T;
  PoolAllocator() = default;
  template <class U> PoolAllocator(const PoolAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(pool_allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { pool_deallocate(p, n * sizeof(T)); }
  template <class U> bool operator==(const PoolAllocator<U>&) const noexcept { return true; }
};

// std::make_shared with the object and its control block taken from the pool.
template <class T, class... Args> std::shared_ptr<T> make_pooled(Args&&... args) {
  return std::allocate_shared<T>(PoolAllocator<T>{}, std::forward<Args>(args)...);
}

}  // namespace xg::detail
