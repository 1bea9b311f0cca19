// Replaces the global allocation functions of a test binary with ones that forward to
// malloc / aligned_alloc and call on_test_allocation() first: include it in exactly one
// source file of the binary, which defines on_test_allocation (to count allocations, or
// to make them fail by throwing std::bad_alloc). Not under AddressSanitizer, which owns
// the allocation functions: include it inside #ifndef __SANITIZE_ADDRESS__.
#pragma once

#include <cstdlib>
#include <new>

void on_test_allocation();

namespace xg::test::allocation {

inline void* forward(std::size_t n) {
  on_test_allocation();
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

inline void* forward_aligned(std::size_t n, std::align_val_t align) {
  on_test_allocation();
  const auto a = static_cast<std::size_t>(align);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t size = ((n == 0 ? 1 : n) + a - 1) / a * a;
  if (void* p = std::aligned_alloc(a, size)) return p;
  throw std::bad_alloc();
}

}  // namespace xg::test::allocation

void* operator new(std::size_t n) { return xg::test::allocation::forward(n); }
void* operator new[](std::size_t n) { return xg::test::allocation::forward(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  return xg::test::allocation::forward_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return xg::test::allocation::forward_aligned(n, a);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
