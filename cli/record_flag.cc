#include "cli/record_flag.h"

#include <map>

namespace rollbook::cli {

namespace {
struct FlagSpec {
  std::string long_name;
  bool boolean;
};

// Every flag rollbook's verbs accept, by the names a user may type.
const std::map<std::string, FlagSpec>& Flags() {
  static const std::map<std::string, FlagSpec> flags = [] {
    std::map<std::string, FlagSpec> m;
    auto add = [&m](const std::string& long_name, const std::string& short_name, bool boolean) {
      m["--" + long_name] = {long_name, boolean};
      if (!short_name.empty()) m["-" + short_name] = {long_name, boolean};
    };
    add("filename", "f", false);
    add("namespace", "n", false);
    add("record", "", true);
    add("replicas", "", false);
    add("current-replicas", "", false);
    add("overwrite", "", true);
    add("all", "", true);
    add("all-namespaces", "A", true);
    add("as", "", false);
    add("db", "", false);
    add("brokers", "", false);
    add("topic", "", false);
    add("timeout", "", false);
    add("to-revision", "", false);
    add("revision", "", false);
    add("dry-run", "", false);
    add("output", "o", false);
    add("selector", "l", false);
    add("retry-on-conflict", "", true);
    return m;
  }();
  return flags;
}
}  // namespace

std::string ChangeCauseFor(const std::vector<std::string>& argv) {
  if (argv.empty()) return "";
  std::string binary = argv[0];
  if (auto slash = binary.rfind('/'); slash != std::string::npos) binary = binary.substr(slash + 1);
  std::string positional, flags;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      positional += " " + arg;
      continue;
    }
    std::string name = arg, value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    auto it = Flags().find(name);
    if (it == Flags().end()) {
      flags += " " + arg;  // not ours to interpret; keep as typed
      continue;
    }
    if (!has_value) {
      if (it->second.boolean) {
        value = "true";
      } else if (i + 1 < argv.size()) {
        value = argv[++i];
      }
    }
    flags += " --" + it->second.long_name + "=" + value;
  }
  return binary + positional + flags;
}

}  // namespace rollbook::cli
