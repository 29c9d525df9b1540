#include "cli/usage_errors.h"

#include <fmt/format.h>

namespace rollbook::cli {

namespace {

// The option called `name` ("--replicas", "-o") in `app` or any of its
// sub-commands; options of the same name mean the same thing everywhere.
const CLI::Option* FindOption(const CLI::App& app, const std::string& name) {
  if (const CLI::Option* o = app.get_option_no_throw(name); o != nullptr) return o;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (const CLI::Option* o = FindOption(*sub, name); o != nullptr) return o;
  }
  return nullptr;
}

const CLI::App& DeepestParsed(const CLI::App& app) {
  const CLI::App* leaf = &app;
  for (;;) {
    std::vector<CLI::App*> parsed = leaf->get_subcommands();
    if (parsed.empty()) return *leaf;
    leaf = parsed.front();
  }
}

std::string SubcommandNames(const CLI::App& app) {
  std::string names;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name().empty()) continue;
    names += (names.empty() ? "" : ", ") + sub->get_name();
  }
  return names;
}

std::string WhatTypeAllows(const CLI::Option* option) {
  const std::string type = option == nullptr ? "" : option->get_type_name();
  if (type == "INT" || type == "UINT") return "must be a whole number";
  if (type == "FLOAT") return "must be a number";
  if (option != nullptr && option->get_items_expected_max() == 0) return "must be true or false";
  return type.empty() ? "has the wrong form" : "must be a " + type;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

std::vector<std::string> NormalizeFlagValues(const CLI::App& app, const std::vector<std::string>& args) {
  std::vector<std::string> out;
  bool flags_done = false;  // after "--" everything is positional
  for (const std::string& a : args) {
    flags_done = flags_done || a == "--";
    const size_t eq = a.find('=');
    const bool long_empty = a.size() > 3 && StartsWith(a, "--") && eq == a.size() - 1;
    const bool short_eq = a.size() >= 3 && a[0] == '-' && a[1] != '-' && eq == 2;
    if (!flags_done && (long_empty || short_eq)) {
      const CLI::Option* o = FindOption(app, a.substr(0, eq));
      if (o != nullptr && o->get_items_expected_max() > 0) {
        out.push_back(a.substr(0, eq));
        out.push_back(a.substr(eq + 1));
        continue;
      }
    }
    out.push_back(a);
  }
  return out;
}

std::string ParsedCommandPath(const CLI::App& app) {
  std::string path = app.get_name();
  const CLI::App* leaf = &app;
  for (;;) {
    std::vector<CLI::App*> parsed = leaf->get_subcommands();
    if (parsed.empty()) return path;
    leaf = parsed.front();
    path += " " + leaf->get_name();
  }
}

std::string DescribeUsageError(const CLI::App& app, const CLI::ParseError& e) {
  const std::string what = e.what();
  const std::string where = ParsedCommandPath(app);
  const std::vector<std::string> left = app.remaining(true);
  std::string first_word, first_flag;
  for (const std::string& a : left) {
    if (first_flag.empty() && StartsWith(a, "-") && a.size() > 1) first_flag = a.substr(0, a.find('='));
    if (first_word.empty() && !StartsWith(a, "-")) first_word = a;
  }
  // By type, not get_name(): CLI11 names some errors after the app.
  const char* kind = dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr        ? "ExtrasError"
                     : dynamic_cast<const CLI::RequiredError*>(&e) != nullptr    ? "RequiredError"
                     : dynamic_cast<const CLI::ConversionError*>(&e) != nullptr  ? "ConversionError"
                     : dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr ? "ArgumentMismatch"
                                                                                 : "";
  const bool needs_command =
      std::string(kind) == "RequiredError" && what.find("subcommand") != std::string::npos;
  if (needs_command && !first_word.empty()) {
    return fmt::format("unknown command \"{}\" for \"{}\" (commands: {})", first_word, where,
                       SubcommandNames(DeepestParsed(app)));
  }
  if (!first_flag.empty() && (std::string(kind) == "ExtrasError" || std::string(kind) == "RequiredError")) {
    return fmt::format("unknown flag: {}", first_flag);
  }
  if (needs_command) {
    return fmt::format("\"{}\" needs a command: one of {}", where, SubcommandNames(DeepestParsed(app)));
  }
  if (std::string(kind) == "ExtrasError" && !first_word.empty()) {
    return fmt::format("unexpected argument \"{}\" for \"{}\"", first_word, where);
  }
  if (std::string(kind) == "ConversionError" && StartsWith(what, "Could not convert: ")) {
    // "Could not convert: --to-revision = abc"
    const std::string rest = what.substr(std::string("Could not convert: ").size());
    const size_t eq = rest.find(" = ");
    if (eq != std::string::npos) {
      const std::string name = rest.substr(0, eq), value = rest.substr(eq + 3);
      return fmt::format("invalid argument \"{}\" for \"{}\" flag: {}", value, name,
                         WhatTypeAllows(FindOption(app, name)));
    }
  }
  if (std::string(kind) == "ConversionError" && what.find(": Should be true/false") != std::string::npos) {
    const std::string name = what.substr(0, what.find(':'));
    return fmt::format("invalid argument for \"{}\" flag: must be true or false", name);
  }
  if (std::string(kind) == "ArgumentMismatch" && what.find(" required ") != std::string::npos &&
      what.find(" missing") != std::string::npos) {
    return fmt::format("flag needs an argument: {}", what.substr(0, what.find(':')));
  }
  return what;
}

}  // namespace rollbook::cli
