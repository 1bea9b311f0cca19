// The atomic file writer and the output checks (contract in atomic_file.hpp).
#include "autograd/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <random>
#include <system_error>
#include <utility>

#include "autograd/errors.hpp"

namespace xg {
namespace {

namespace fs = std::filesystem;

// Note [atomic save]
// A crash, a full disk or an exception half-way through a save must not destroy the
// file saved before. So the new file is written completely under a temporary name in
// the same directory (rename is atomic only within a filesystem), fsync'ed, and only then
// renamed over the target: rename() replaces the directory entry atomically, so readers
// see the old file or the new one. The directory is fsync'ed afterwards so that the
// rename survives a power cut. rename() replaces whatever node has the name, so the
// target is checked to be a regular file (or missing) first, and again just before the
// rename.

// Note [stale temporaries]
// A process killed while it writes (SIGKILL, a second Ctrl-C, a power cut) leaves its
// temporary file, as large as the model. The temporary name carries the writer's process
// id, so the next save of the same target removes the temporaries whose process is gone
// (kill(pid, 0) fails with ESRCH). A live process's file is never touched, including this
// process's own (another thread may be writing it). A process id reused since is taken
// for a live writer: the file then stays until that process ends. Writers on other
// machines sharing the directory are not seen; their process ids mean nothing here.

constexpr std::string_view kTempMarker = ".tmp-";
constexpr int kRandomChars = 6;

std::string quoted(const fs::path& p) {
  std::string out = "'";  // not "'" + ... + "'": GCC 12 warns falsely (-Wrestrict)
  out += p.string();
  out += '\'';
  return out;
}

// The process id in a temporary name of `target`, or -1 when `name` is not one.
long temp_owner(const std::string& name, const std::string& target_name) {
  const std::string prefix = target_name + std::string(kTempMarker);
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string rest = name.substr(prefix.size());
  const auto dash = rest.find('-');
  if (dash == std::string::npos || dash == 0 || dash > 10) return -1;
  if (rest.size() != dash + 1 + kRandomChars) return -1;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  const auto alnum = [&](char c) { return digit(c) || (c >= 'a' && c <= 'z'); };
  if (!std::all_of(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(dash), digit) ||
      !std::all_of(rest.begin() + static_cast<std::ptrdiff_t>(dash) + 1, rest.end(), alnum)) {
    return -1;
  }
  return std::stol(rest.substr(0, dash));
}

fs::path directory_of(const fs::path& target) {
  const fs::path dir = target.parent_path();
  return dir.empty() ? fs::path(".") : dir;
}

}  // namespace

void check_output_target(const std::string& op, const fs::path& target) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return;
  const char* what = S_ISLNK(st.st_mode)    ? "a symbolic link"
                     : S_ISDIR(st.st_mode)  ? "a directory"
                     : S_ISFIFO(st.st_mode) ? "a FIFO"
                     : S_ISSOCK(st.st_mode) ? "a socket"
                                            : "a device or special file";
  throw FormatError(op + ": " + quoted(target) + " is " + what +
                    ", not a regular file; give the path of a regular file to write");
}

void check_not_an_input(const std::string& op, const fs::path& output,
                        const std::vector<fs::path>& inputs) {
  for (const fs::path& input : inputs) {
    std::error_code ec;
    if (fs::equivalent(output, input, ec) && !ec) {
      throw ValueError(op + ": " + quoted(output) + " is the input file " + quoted(input) +
                       " of this run; writing it would destroy it, give another path");
    }
  }
}

void check_writable(const std::string& op, const fs::path& target) {
  AtomicFile probe(target, op);  // created, then removed uncommitted
}

std::size_t remove_stale_temporaries(const fs::path& target) {
  const std::string target_name = target.filename().string();
  std::size_t removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(directory_of(target), ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path& p = it->path();
    const long pid = temp_owner(p.filename().string(), target_name);
    if (pid <= 0 || pid == static_cast<long>(::getpid())) continue;
    if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or unsure
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (::unlink(p.c_str()) == 0) ++removed;
  }
  return removed;
}

AtomicFile::AtomicFile(fs::path target, std::string op)
    : target_(std::move(target)), op_(std::move(op)) {
  check_output_target(op_, target_);
  remove_stale_temporaries(target_);
  static thread_local std::mt19937_64 rng(
      std::random_device{}() ^
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  static const char* chars = "abcdefghijklmnopqrstuvwxyz0123456789";
  const std::string stem = std::string(kTempMarker) + std::to_string(::getpid()) + "-";
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string suffix = stem;
    for (int i = 0; i < kRandomChars; ++i) suffix += chars[rng() % 36];
    temp_ = target_;
    temp_ += suffix;
    // 0666 less the umask, like any new file; O_EXCL so we never reuse someone's file.
    const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      fd_ = fd;
      break;
    }
    if (errno != EEXIST) {
      throw std::system_error(errno, std::generic_category(),
                              op_ + ": cannot create a file in the folder of " + quoted(target_));
    }
  }
  if (fd_ < 0) {
    throw std::system_error(EEXIST, std::generic_category(),
                            op_ + ": cannot create a file in the folder of " + quoted(target_));
  }
  // A replaced file keeps its owner and mode (chown first: it may clear set-id bits).
  // Best effort: only root may give a file away.
  struct stat st {};
  if (::lstat(target_.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    if (::fchown(fd_, st.st_uid, st.st_gid) != 0)
      (void)::fchown(fd_, static_cast<uid_t>(-1), st.st_gid);
    (void)::fchmod(fd_, st.st_mode & 07777);
  }
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::write(const void* data, std::uint64_t n) {
  auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(n, 1u << 30));
    const ssize_t r = ::write(fd_, p, want);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail("write", errno);
    }
    p += r;
    n -= static_cast<std::uint64_t>(r);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) fail("flush", errno);
  const int fd = std::exchange(fd_, -1);
  if (::close(fd) != 0) fail("close", errno);
  check_output_target(op_, target_);  // it may have been replaced while we wrote
  if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("rename", errno);
  committed_ = true;
  // Make the rename itself durable. Best effort: some filesystems cannot fsync a
  // directory, and the new file is complete either way.
  const int dfd = ::open(directory_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

void AtomicFile::fail(const char* doing, int err) const {
  throw std::system_error(
      err, std::generic_category(),
      op_ + ": cannot " + doing + ' ' + quoted(target_) + " (through " + quoted(temp_) + ")");
}

void write_file_atomic(const std::string& op, const fs::path& target, std::string_view content) {
  AtomicFile file(target, op);
  file.write(content);
  file.commit();
}

}  // namespace xg
