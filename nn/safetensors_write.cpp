// The safetensors writer (format and contract in safetensors.hpp).
#include <algorithm>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "autograd/atomic_file.hpp"
#include "autograd/runtime.hpp"
#include "nn/detail/safetensors_util.hpp"
#include "nn/safetensors.hpp"

namespace xg::nn {
namespace {

using json = nlohmann::json;
using namespace detail;  // NOLINT: the shared helpers of nn/detail/safetensors_util.hpp

// The text must be storable in JSON (valid UTF-8); nlohmann would throw on dump.
void check_utf8(const std::string& what, const std::string& text) {
  try {
    (void)json(text).dump();
  } catch (const json::exception&) {
    throw ValueError("save_tensors: " + what + " is not valid UTF-8");
  }
}

}  // namespace

void save_tensors(const TensorMap& tensors, const std::string& path, const Metadata& metadata) {
  for (const auto& [name, t] : tensors) {
    if (name == kMetadataKey) {
      throw ValueError("save_tensors: \"__metadata__\" cannot name a tensor (the format uses it)");
    }
    if (!t.defined()) throw ValueError("save_tensors: tensor " + quoted(name) + " is undefined");
    check_utf8("tensor name " + quoted(name), name);
  }
  for (const auto& [key, value] : metadata) {
    if (key == kVersionKey || key == kDataCrcKey || key == kHeaderCrcKey) {
      throw ValueError("save_tensors: metadata key " + quoted(key) + " is reserved for xgrad");
    }
    check_utf8("metadata key " + quoted(key), key);
    check_utf8("metadata value of " + quoted(key), value);
  }

  // Widest dtype first, then by name (std::map order; stable_sort keeps it): the
  // reference implementation's order, which keeps every 8-byte tensor 8-byte aligned
  // since the data section itself starts at a multiple of 8.
  std::vector<std::pair<const std::string*, const Tensor*>> order;
  for (const auto& [name, t] : tensors) order.emplace_back(&name, &t);
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return dtype_size(a.second->dtype()) > dtype_size(b.second->dtype());
  });

  json entries = json::object();
  std::uint64_t offset = 0;
  auto data_crc = static_cast<std::uint32_t>(::crc32(0, nullptr, 0));
  for (const auto& [name, t] : order) {
    const std::uint64_t n = tensor_nbytes(*t);
    entries[*name] = {{"dtype", format_dtype(t->dtype())},
                      {"shape", t->shape()},
                      {"data_offsets", {offset, offset + n}}};
    data_crc = crc_update(data_crc, tensor_bytes(*t), n);
    offset += n;
  }
  json meta = json::object();
  for (const auto& [key, value] : metadata) meta[key] = value;
  meta[kVersionKey] = xg::version();
  meta[kDataCrcKey] = hex8(data_crc);
  json root = std::move(entries);
  root[kMetadataKey] = std::move(meta);
  // The header's CRC covers everything in it but itself. The reader recomputes it from the
  // parsed header, whose dump is this same text: nlohmann sorts object keys and prints
  // strings and integers the same way after a round trip.
  root[kMetadataKey][kHeaderCrcKey] = hex8(crc_of(root.dump()));

  std::string header = root.dump();
  header.append((8 - header.size() % 8) % 8, ' ');  // pad like the reference implementation
  unsigned char length[kLengthBytes];
  for (std::size_t i = 0; i < kLengthBytes; ++i) {
    length[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(header.size()) >> (8 * i));
  }

  AtomicFile file(path, "save_tensors");  // Note [atomic save] in autograd/atomic_file.cpp
  file.write(length, kLengthBytes);
  file.write(header.data(), header.size());
  for (const auto& [name, t] : order) file.write(tensor_bytes(*t), tensor_nbytes(*t));
  file.commit();
}

}  // namespace xg::nn
