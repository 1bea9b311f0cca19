// Writing a file so that no failure destroys what was there, used by nn::save and by every
// file the xgrad program writes: the bytes go to a temporary file beside the target, which
// is flushed to disk and only then renamed over it (Note [atomic save] in atomic_file.cpp).
//
//   xg::write_file_atomic("report", "out/report.json", text);
//
// The target must be a regular file or not exist: a symlink, a FIFO, a device, a socket or
// a directory is refused (rename would replace the node itself, e.g. /dev/full with a
// regular file). A replaced file keeps its permission bits, and its owner and group when
// the process may set them. I/O failures throw std::system_error naming the target, the
// temporary file and the system's reason; the target is then unchanged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace xg {

// Throws FormatError ("OP: 'PATH' is a symbolic link, not a regular file; ...") when
// `target` exists and is not a regular file. Symbolic links are not followed. A missing
// target passes. `op` starts every message of this header's functions.
void check_output_target(const std::string& op, const std::filesystem::path& target);

// Throws ValueError when `output` is the same file as one of `inputs` (same device and
// inode, through any links or spellings): writing it would destroy an input of the same
// run. Paths that do not exist are skipped.
void check_not_an_input(const std::string& op, const std::filesystem::path& output,
                        const std::vector<std::filesystem::path>& inputs);

// Checks, before a long computation, that `target` can be written later: the checks of
// check_output_target, then a temporary file is created beside it and removed. Throws as
// AtomicFile's constructor does.
void check_writable(const std::string& op, const std::filesystem::path& target);

// A file written under the temporary name "TARGET.tmp-PID-XXXXXX" (PID: this process's id)
// and renamed over TARGET by commit(); the temporary file is removed if commit() is never
// reached. Not thread-safe; different objects may write different (or the same) targets
// concurrently, the last commit wins.
class AtomicFile {
 public:
  // Checks the target (check_output_target), removes the temporary files of the same
  // target left by processes that no longer run (Note [stale temporaries]), then creates
  // the temporary file. std::system_error when it cannot be created.
  AtomicFile(std::filesystem::path target, std::string op);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::uint64_t n);
  void write(std::string_view text) { write(text.data(), text.size()); }
  // Flushes the file to disk, checks the target again and renames the file over it, then
  // flushes the directory (best effort).
  void commit();

  const std::filesystem::path& temp_path() const { return temp_; }

 private:
  [[noreturn]] void fail(const char* doing, int err) const;

  std::filesystem::path target_;
  std::string op_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
};

// AtomicFile in one call.
void write_file_atomic(const std::string& op, const std::filesystem::path& target,
                       std::string_view content);

// Removes the temporary files "TARGET.tmp-PID-XXXXXX" whose process PID no longer runs on
// this machine, and returns how many. Called by AtomicFile's constructor; other files
// (another name, another pattern, a live PID, not a regular file) are left alone.
std::size_t remove_stale_temporaries(const std::filesystem::path& target);

}  // namespace xg
