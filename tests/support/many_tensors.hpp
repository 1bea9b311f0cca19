// A safetensors file with many small tensors, written byte by byte (not by the library,
// so that it also serves to test and time the reader): used by the reader's tests, the
// fuzzer's seed corpus and benchmarks/safetensors_load.cpp.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace xg::test {

// The name of tensor i: "t<i>". (Appended rather than "t" + ..., which trips GCC 12's
// -Wrestrict.)
inline std::string many_tensors_name(std::int64_t i) {
  std::string name = "t";
  name += std::to_string(i);
  return name;
}

// The bytes of a safetensors file holding n F32 tensors "t0", "t1", ..., each of shape
// (1), tensor i holding the value i (exact up to 2^24). The header grows by about 60
// bytes a tensor.
inline std::string many_tensors_file(std::int64_t n) {
  std::string header = "{";
  std::string data;
  data.reserve(static_cast<std::size_t>(n) * 4);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::string begin = std::to_string(4 * i), end = std::to_string(4 * i + 4);
    if (i > 0) header += ',';
    header += '"' + many_tensors_name(i) +
              "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" + begin + ',' + end + "]}";
    const auto value = static_cast<float>(i);
    char bytes[4];
    std::memcpy(bytes, &value, 4);  // little-endian hosts only, as the reader
    data.append(bytes, 4);
  }
  header += '}';
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>(header.size() >> (8 * i));
  return out + header + data;
}

}  // namespace xg::test
