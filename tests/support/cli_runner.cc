#include "tests/support/cli_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace rollbook::testing {

namespace {
std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}
}  // namespace

std::string BinaryPath(const std::string& name) { return std::string(ROLLBOOK_BINARY_DIR) + "/bin/" + name; }

bool BrokerConfigured() {
  const char* b = std::getenv("ROLLBOOK_TEST_BROKERS");
  return b != nullptr && *b != '\0';
}

std::string CliEnv::Brokers() {
  const char* b = std::getenv("ROLLBOOK_TEST_BROKERS");
  return b != nullptr ? b : "127.0.0.1:9092";
}

CliEnv::CliEnv(const std::string& test_name) {
  char tmpl[] = "/tmp/rollbook-test-XXXXXX";
  dir_ = mkdtemp(tmpl);
  std::random_device rd;
  topic_ = "rollbook.test." + test_name + "." + std::to_string(getpid()) + "." + std::to_string(rd() % 1000000);
  db_ = dir_ + "/rollbook.db";
}

CliEnv::~CliEnv() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

namespace {
// Each run gets its own capture files, so one CliEnv can run commands from
// several threads at once.
std::string NextRunTag() {
  static std::atomic<int64_t> runs{0};
  return std::to_string(runs.fetch_add(1));
}
}  // namespace

RunResult CliEnv::Shell(const std::string& command) const { return ShellTagged(command, NextRunTag()); }

RunResult CliEnv::ShellTagged(const std::string& command, const std::string& tag) const {
  const std::string out_path = dir_ + "/stdout." + tag, err_path = dir_ + "/stderr." + tag;
  const std::string env = "ROLLBOOK_BROKERS=" + Quote(Brokers()) + " ROLLBOOK_TOPIC=" + Quote(topic_) +
                          " ROLLBOOK_DB=" + Quote(db_) + " ";
  const std::string full = "cd " + Quote(ROLLBOOK_SOURCE_DIR) + " && export " + env + "; { " + command + "\n} >" +
                           Quote(out_path) + " 2>" + Quote(err_path);
  RunResult r;
  const int status = std::system(full.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

RunResult CliEnv::Rollbook(const std::vector<std::string>& args, const std::string& stdin_text,
                           const std::vector<std::string>& extra_env) const {
  std::string cmd;
  for (const auto& e : extra_env) cmd += "export " + Quote(e) + "; ";
  cmd += Quote(BinaryPath("rollbook"));
  for (const auto& a : args) cmd += " " + Quote(a);
  const std::string tag = NextRunTag();
  const std::string in_path = dir_ + "/stdin." + tag;
  {
    std::ofstream in(in_path, std::ios::binary);
    in << stdin_text;
  }
  RunResult r = ShellTagged(cmd + " <" + Quote(in_path), tag);
  std::remove(in_path.c_str());
  return r;
}

}  // namespace rollbook::testing
