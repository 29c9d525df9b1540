// rollbook-projector run in the background by a test, and small helpers for
// waiting on what it does.
//
// The daemon is a child process of the test that gets SIGTERM when the test
// process dies (PR_SET_PDEATHSIG), so a crashed or killed test leaves no
// daemon behind; the destructor stops it with SIGTERM, then SIGKILL. Its
// stdout and stderr go to `log_path`.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace rollbook::testing {

class ProjectorDaemon {
 public:
  // Starts rollbook-projector with `args` (e.g. --brokers, --db, --topic).
  ProjectorDaemon(const std::vector<std::string>& args, std::string log_path);
  ~ProjectorDaemon();
  ProjectorDaemon(const ProjectorDaemon&) = delete;
  ProjectorDaemon& operator=(const ProjectorDaemon&) = delete;

  bool started() const { return pid_ > 0; }
  bool Alive();
  // SIGTERM and wait (10s, then SIGKILL): the exit code, or -1 when it had to
  // be killed or was not running.
  int Stop();
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// Polls `condition` every 100ms until it holds or `seconds` pass.
bool WaitFor(const std::function<bool()>& condition, int seconds);

// Output of `sqlite3 DB SQL` without the trailing newline ("" on error).
std::string Sql(const std::string& db, const std::string& sql);

// Single-quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s);

}  // namespace rollbook::testing
