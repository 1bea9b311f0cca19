// Where a save may write: nn::save refuses targets that are not regular files, keeps the
// mode of a file it replaces, removes the temporary files of dead writers; and the shared
// writer's output checks (autograd/atomic_file.hpp).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <system_error>

#include "nn/serialize_util.hpp"
#include "xgrad/autograd/atomic_file.hpp"

namespace fs = std::filesystem;
using xg::test::Net;
using xg::test::TempDir;

namespace {

// The id of a process that has ended (a child, reaped).
pid_t dead_pid() {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return pid;
}

// Writes `content` to `file` and makes `link` a symbolic link to it.
void write_linked_file(const fs::path& file, const std::string& content, const fs::path& link) {
  xg::test::write_file(file, content);
  fs::create_symlink(file, link);
}

std::size_t count_entries(const fs::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("save: a symbolic link target is refused; the link and the file it names stay") {
  TempDir dir;
  const fs::path real = dir.path / "real.txt";
  const fs::path link = dir.path / "model.safetensors";
  write_linked_file(real, "precious", link);
  Net a;
  xg::test::check_throws<xg::FormatError>([&] { xg::nn::save(a, link); },
                                          {"model.safetensors", "symbolic link"});
  CHECK(fs::is_symlink(fs::symlink_status(link)));
  CHECK(xg::test::read_file(real) == "precious");
  CHECK(count_entries(dir.path) == 2);  // no temporary file left
}

TEST_CASE("save: a FIFO target is refused at once and stays a FIFO") {
  TempDir dir;
  const fs::path fifo = dir.path / "model.safetensors";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  Net a;
  xg::test::check_throws<xg::FormatError>([&] { xg::nn::save(a, fifo); },
                                          {"model.safetensors", "FIFO"});
  CHECK(fs::is_fifo(fs::symlink_status(fifo)));
  CHECK(count_entries(dir.path) == 1);
}

TEST_CASE("save: a directory target is refused and left alone") {
  TempDir dir;
  const fs::path blocked = dir.path / "blocked";
  fs::create_directory(blocked);
  Net a;
  xg::test::check_throws<xg::FormatError>([&] { xg::nn::save(a, blocked); },
                                          {"save_tensors", "blocked", "a directory"});
  CHECK(fs::is_directory(blocked));
  CHECK(count_entries(dir.path) == 1);
}

TEST_CASE("save: re-saving keeps the mode of the replaced file") {
  TempDir dir;
  const fs::path file = dir.path / "model.safetensors";
  const mode_t old_umask = ::umask(022);  // new files would be 0644
  Net a;
  xg::nn::save(a, file);
  fs::permissions(file, fs::perms(0640));
  xg::nn::save(a, file);
  const auto perms = fs::status(file).permissions();
  ::umask(old_umask);
  CHECK(static_cast<int>(perms) == 0640);
  // A new file gets the usual mode (0666 less the umask).
  const fs::path fresh = dir.path / "fresh.safetensors";
  ::umask(027);
  xg::nn::save(a, fresh);
  ::umask(old_umask);
  CHECK(static_cast<int>(fs::status(fresh).permissions()) == 0640);
}

TEST_CASE("save: as root, re-saving keeps the owner and group of the replaced file") {
  if (::geteuid() != 0) return;  // only root may give a file away
  TempDir dir;
  const fs::path file = dir.path / "model.safetensors";
  Net a;
  xg::nn::save(a, file);
  REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  xg::nn::save(a, file);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK(st.st_uid == 65534);
  CHECK(st.st_gid == 65534);
}

TEST_CASE("save: temporary files of dead writers of the same target are removed") {
  TempDir dir;
  const fs::path file = dir.path / "model.safetensors";
  const std::string dead = std::to_string(dead_pid());
  const std::string alive = std::to_string(::getppid());
  const fs::path stale = dir.path / ("model.safetensors.tmp-" + dead + "-abc123");
  const std::vector<fs::path> kept = {
      dir.path / ("model.safetensors.tmp-" + alive + "-abc123"),  // a live writer
      dir.path / ("other.safetensors.tmp-" + dead + "-abc123"),   // another target
      dir.path / ("model.safetensors.tmp-" + dead + "-abc12"),    // not our pattern
      dir.path / ("model.safetensors.tmp-" + dead + "-ABC123"),
      dir.path / "model.safetensors.tmp-abc123",
      dir.path / ("model.safetensors.tmp-" + dead + "-abc123.bak")};
  xg::test::write_file(stale, "half a model");
  for (const auto& p : kept) xg::test::write_file(p, "x");
  // A directory with a stale name is not ours either.
  const fs::path stale_dir = dir.path / ("model.safetensors.tmp-" + dead + "-zzz999");
  fs::create_directory(stale_dir);

  Net a;
  xg::nn::save(a, file);
  CHECK_FALSE(fs::exists(stale));
  for (const auto& p : kept) CHECK_MESSAGE(fs::exists(p), p);
  CHECK(fs::is_directory(stale_dir));
  CHECK(count_entries(dir.path) == kept.size() + 2);
}

TEST_CASE("write_file_atomic: a failed write keeps the previous file and its mode") {
  TempDir dir;
  const fs::path file = dir.path / "report.json";
  xg::write_file_atomic("report", file, "old");
  fs::permissions(file, fs::perms(0600));
  const std::string big(8192, 'x');
  xg::test::with_file_size_limit(4096, [&] {
    xg::test::check_throws<std::system_error>([&] { xg::write_file_atomic("report", file, big); },
                                              {"report: cannot write", "report.json"});
  });
  CHECK(xg::test::read_file(file) == "old");
  CHECK(static_cast<int>(fs::status(file).permissions()) == 0600);
  CHECK(count_entries(dir.path) == 1);
  xg::write_file_atomic("report", file, "new");
  CHECK(xg::test::read_file(file) == "new");
  CHECK(static_cast<int>(fs::status(file).permissions()) == 0600);
}

TEST_CASE("check_not_an_input: the same file under another name is refused") {
  TempDir dir;
  const fs::path data = dir.path / "d.csv";
  const fs::path alias = dir.path / "alias.csv";
  write_linked_file(data, "a,label\n1,0\n", alias);
  xg::test::check_throws<xg::ValueError>(
      [&] { xg::check_not_an_input("--save", dir.path / "." / "d.csv", {data}); },
      {"--save", "d.csv", "input"});
  xg::test::check_throws<xg::ValueError>(
      [&] {
        xg::check_not_an_input("--save", data, {"missing.csv", alias});
      },
      {"alias.csv"});
  xg::check_not_an_input("--save", dir.path / "m.safetensors", {data, "missing.csv"});
  CHECK(xg::test::read_file(data) == "a,label\n1,0\n");
}

TEST_CASE("check_writable: creates and removes a file; an impossible place throws") {
  TempDir dir;
  xg::check_writable("--save", dir.path / "m.safetensors");
  CHECK(count_entries(dir.path) == 0);
  // A parent that is a regular file fails even for root.
  const fs::path file = dir.path / "plain";
  xg::test::write_file(file, "x");
  xg::test::check_throws<std::system_error>(
      [&] { xg::check_writable("--save", file / "m.safetensors"); },
      {"--save: cannot create", "m.safetensors"});
  CHECK(count_entries(dir.path) == 1);
}
