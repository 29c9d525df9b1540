// Runs the rollbook binaries as a user would, against the real broker.
//
// Each CliEnv gets a unique topic and a fresh database file, so tests never
// see each other's records. Integration tests call RequireBroker(), which skips
// the test when ROLLBOOK_TEST_BROKERS is unset (scripts/test always sets it,
// so under CI a missing broker is a failure of the connect, not a skip).
#pragma once

#include <string>
#include <vector>

namespace rollbook::testing {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Path of a built binary ("rollbook", "rollbook-projector").
std::string BinaryPath(const std::string& name);

class CliEnv {
 public:
  explicit CliEnv(const std::string& test_name);
  ~CliEnv();

  // Runs `rollbook <args>` with this env's topic/db/brokers; `stdin_text`
  // feeds standard input; extra_env entries are "NAME=value". Rollbook and
  // Shell may be called from several threads at once.
  RunResult Rollbook(const std::vector<std::string>& args, const std::string& stdin_text = "",
                     const std::vector<std::string>& extra_env = {}) const;
  // Runs any command line through /bin/sh -c with this env exported.
  RunResult Shell(const std::string& command) const;

  const std::string& topic() const { return topic_; }
  const std::string& db() const { return db_; }
  const std::string& dir() const { return dir_; }
  static std::string Brokers();

 private:
  RunResult ShellTagged(const std::string& command, const std::string& tag) const;
  std::string dir_, topic_, db_;
};

// True when a broker is configured for tests (ROLLBOOK_TEST_BROKERS).
bool BrokerConfigured();

}  // namespace rollbook::testing

#define ROLLBOOK_REQUIRE_BROKER()                                                         \
  do {                                                                                    \
    if (!::rollbook::testing::BrokerConfigured()) GTEST_SKIP() << "ROLLBOOK_TEST_BROKERS unset"; \
  } while (0)
