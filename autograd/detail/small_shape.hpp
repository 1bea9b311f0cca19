// SmallShape: a shape kept inline up to four axes, for the shapes graph nodes store.
// Not installed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "autograd/tensor.hpp"

namespace xg::detail {

// Every recorded op stores its output's shape and each input's shape; as std::vector
// each was one heap allocation, a large share of a small model's per-op cost. Shapes of
// up to kInline axes (nearly all of them) live inside the object; longer ones go to the
// heap. Read-only after construction except by assignment.
class SmallShape {
 public:
  static constexpr std::size_t kInline = 4;

  SmallShape() = default;
  SmallShape(const Shape& s) { assign(s.data(), s.size()); }  // NOLINT: implicit by design
  SmallShape(const SmallShape& o) { assign(o.data(), o.size()); }
  SmallShape(SmallShape&& o) noexcept { *this = std::move(o); }
  SmallShape& operator=(const SmallShape& o) {
    if (this != &o) assign(o.data(), o.size());
    return *this;
  }
  SmallShape& operator=(SmallShape&& o) noexcept {
    if (this != &o) {
      heap_ = std::move(o.heap_);
      size_ = o.size_;
      std::copy(o.inline_, o.inline_ + kInline, inline_);
      o.size_ = 0;
    }
    return *this;
  }

  std::size_t size() const { return size_; }
  const std::int64_t* data() const { return heap_ ? heap_.get() : inline_; }
  Shape to_shape() const { return Shape(data(), data() + size_); }

  friend bool operator==(const SmallShape& a, const Shape& b) {
    return a.size_ == b.size() && std::equal(b.begin(), b.end(), a.data());
  }

 private:
  void assign(const std::int64_t* p, std::size_t n) {
    if (n > kInline) {
      heap_ = std::make_unique<std::int64_t[]>(n);
    } else {
      heap_.reset();
    }
    std::copy(p, p + n, heap_ ? heap_.get() : inline_);
    size_ = n;
  }

  std::int64_t inline_[kInline] = {};
  std::unique_ptr<std::int64_t[]> heap_;
  std::size_t size_ = 0;
};

}  // namespace xg::detail
