// rollbook-bench-exec: runs one command many times and reports its wall-time
// distribution and resource use, for the whole-process figures of issue #6
// (CLI write latency, CLI query time, catch-up cost, rebuild peak RSS).
//
// Each run is posix_spawn + wait4 of the command with stdin and stdout on
// /dev/null (stderr is kept, so failures explain themselves); the clock covers
// exactly spawn to reap. In the arguments, "{i}" is replaced by the run index
// and "{alt}" by 1 + index % 9 (e.g. `--replicas={alt}`, so that consecutive
// scales really change something). A run that exits non-zero is reported and
// makes the tool exit 1 (after all runs), so a harness never prints timings of
// commands that failed without saying so.
//
// Prints one JSON object: runs, failures, wall_ms {min, p50, p90, p99, max,
// mean} (nearest-rank percentiles), max_rss_kib (largest over the runs), user_s
// and sys_s (totals).
#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

extern char** environ;

namespace {

struct RunResult {
  double wall_ms = 0;
  int exit_status = 0;  // wait status
  rusage usage{};
};

std::string Substitute(std::string arg, int index) {
  auto replace = [&arg](const std::string& from, const std::string& to) {
    for (size_t pos = arg.find(from); pos != std::string::npos; pos = arg.find(from, pos + to.size())) {
      arg.replace(pos, from.size(), to);
    }
  };
  replace("{i}", std::to_string(index));
  replace("{alt}", std::to_string(1 + index % 9));
  return arg;
}

// Spawns `args` with stdin/stdout on /dev/null; -1 wall time when the spawn failed.
RunResult RunOnce(const std::vector<std::string>& args, const std::string& stdout_path) {
  RunResult result;
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    fmt::print(stderr, "rollbook-bench-exec: cannot run {}: {}\n", args[0], std::strerror(rc));
    result.wall_ms = -1;
    return result;
  }
  int status = 0;
  while (wait4(pid, &status, 0, &result.usage) < 0 && errno == EINTR) {
  }
  result.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  result.exit_status = status;
  return result;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double Seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"rollbook-bench-exec: time a command over many runs"};
  int runs = 1, warmup = 0;
  std::string stdout_path = "/dev/null";
  std::vector<std::string> command;
  app.add_option("--runs", runs, "measured runs")->check(CLI::PositiveNumber);
  app.add_option("--warmup", warmup, "unmeasured runs first")->check(CLI::NonNegativeNumber);
  app.add_option("--stdout", stdout_path, "where the command's stdout goes (default /dev/null)");
  app.add_option("command", command, "the command and its arguments (after --)")->required();
  CLI11_PARSE(app, argc, argv);

  for (int i = 0; i < warmup; ++i) {
    std::vector<std::string> args;
    for (const auto& a : command) args.push_back(Substitute(a, i));
    (void)RunOnce(args, stdout_path);
  }
  std::vector<double> wall;
  int failures = 0;
  long max_rss_kib = 0;
  double user_s = 0, sys_s = 0;
  for (int i = 0; i < runs; ++i) {
    std::vector<std::string> args;
    for (const auto& a : command) args.push_back(Substitute(a, warmup + i));
    const RunResult r = RunOnce(args, stdout_path);
    if (r.wall_ms < 0) return 1;
    if (!WIFEXITED(r.exit_status) || WEXITSTATUS(r.exit_status) != 0) {
      ++failures;
      fmt::print(stderr, "rollbook-bench-exec: run {} of {} failed ({} {})\n", i + 1, command[0],
                 WIFEXITED(r.exit_status) ? "exit" : "signal",
                 WIFEXITED(r.exit_status) ? WEXITSTATUS(r.exit_status) : WTERMSIG(r.exit_status));
    }
    wall.push_back(r.wall_ms);
    max_rss_kib = std::max(max_rss_kib, r.usage.ru_maxrss);
    user_s += Seconds(r.usage.ru_utime);
    sys_s += Seconds(r.usage.ru_stime);
  }
  std::vector<double> sorted = wall;
  std::sort(sorted.begin(), sorted.end());
  double sum = 0;
  for (double w : wall) sum += w;
  nlohmann::json out = {{"runs", runs},
                        {"failures", failures},
                        {"wall_ms",
                         {{"min", sorted.front()},
                          {"p50", Percentile(sorted, 50)},
                          {"p90", Percentile(sorted, 90)},
                          {"p99", Percentile(sorted, 99)},
                          {"max", sorted.back()},
                          {"mean", sum / runs}}},
                        {"max_rss_kib", max_rss_kib},
                        {"user_s", user_s},
                        {"sys_s", sys_s}};
  fmt::print("{}\n", out.dump(2));
  return failures == 0 ? 0 : 1;
}
