#include "cli/defaults.h"

#include <cstdlib>

namespace rollbook::cli {

namespace {
std::string Env(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}
}  // namespace

std::string DefaultBrokers() { return Env("ROLLBOOK_BROKERS", "127.0.0.1:9092"); }
std::string DefaultTopic() { return Env("ROLLBOOK_TOPIC", "rollbook.events"); }
std::string DefaultDbPath() {
  const std::string data_home = Env("XDG_DATA_HOME", Env("HOME", ".") + "/.local/share");
  return Env("ROLLBOOK_DB", data_home + "/rollbook/rollbook.db");
}

}  // namespace rollbook::cli
