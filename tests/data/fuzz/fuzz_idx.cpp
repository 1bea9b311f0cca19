// libFuzzer target for the IDX reader (data/idx.hpp): any byte string, plain or gzip'd,
// must either decode into a tensor that matches its header or throw one of the
// library's typed errors -- never crash, hang, read out of bounds or allocate without
// bound. Built only with clang (XGRAD_BUILD_FUZZERS=ON); run by scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "xgrad/data/idx.hpp"

namespace {

// Small enough that every input runs fast, large enough for real headers to pass.
constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 24;

void check(bool ok) {
  if (!ok) std::abort();  // an invariant broke: libFuzzer reports it as a crash
}

void check_array(const xg::data::IdxArray& a, xg::Dtype dtype) {
  check(a.shape.size() >= 1 && a.shape.size() <= 4);
  std::int64_t numel = 1;
  for (auto d : a.shape) numel *= d;
  check(a.values.defined());
  check(a.values.shape() == a.shape);
  check(a.values.numel() == numel);
  check(a.values.dtype() == dtype);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace xg::data;
  const std::span<const std::uint8_t> bytes(data, size);

  // As images: f32 (every type converts), and scaled (u8 only).
  try {
    IdxArray a = decode_idx(bytes, "fuzz", {.dtype = xg::f32, .max_bytes = kMaxBytes});
    check_array(a, xg::f32);
  } catch (const xg::FormatError&) {
  }
  try {
    IdxArray a =
        decode_idx(bytes, "fuzz", {.dtype = xg::f32, .scale = true, .max_bytes = kMaxBytes});
    check_array(a, xg::f32);
    check(a.type == IdxType::u8);
    for (float v : a.values.data<float>()) check(v >= 0.0f && v <= 1.0f);
  } catch (const xg::FormatError&) {
  } catch (const xg::ValueError&) {  // scale on non-u8 data
  }

  // As labels: i64, then the MNIST pair checks against images of matching count.
  try {
    IdxArray labels = decode_idx(bytes, "fuzz", {.dtype = xg::i64, .max_bytes = kMaxBytes});
    check_array(labels, xg::i64);
    if (labels.shape.size() == 1 && labels.shape[0] <= 4096) {
      IdxArray images;
      images.shape = {labels.shape[0], 1, 1};
      images.values = xg::zeros(images.shape);
      try {
        MnistPair p = check_mnist_pair(std::move(images), "images", std::move(labels), "labels");
        for (auto l : p.labels.data<std::int64_t>()) check(l >= 0 && l < 10);
      } catch (const xg::FormatError&) {
      }
    }
  } catch (const xg::FormatError&) {
  } catch (const xg::DtypeError&) {  // float data read as i64
  }
  return 0;
}
