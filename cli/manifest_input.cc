#include "cli/manifest_input.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "store/fold/manifest.h"
#include "store/fold/validation.h"

namespace rollbook::cli {

namespace {

namespace fs = std::filesystem;

StatusOr<std::string> ReadAll(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(fmt::format("cannot read \"{}\": {}", path, std::strerror(errno)));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

StatusOr<std::vector<std::string>> ExpandPaths(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    if (p == "-") {
      out.push_back(p);
      continue;
    }
    std::error_code ec;
    if (!fs::exists(p, ec)) return InvalidArgument(fmt::format("the path \"{}\" does not exist", p));
    if (!fs::is_directory(p, ec)) {
      out.push_back(p);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : fs::directory_iterator(p, ec)) {
      const std::string ext = entry.path().extension().string();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml" || ext == ".json")) {
        found.push_back(entry.path().string());
      }
    }
    if (ec) return InvalidArgument(fmt::format("cannot list directory \"{}\": {}", p, ec.message()));
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace

StatusOr<std::vector<ManifestDeployment>> LoadDeployments(const std::vector<std::string>& paths,
                                                          const GlobalOptions& globals, const std::string& verb) {
  RB_ASSIGN_OR_RETURN(std::vector<std::string> files, ExpandPaths(paths));
  std::vector<ManifestDeployment> out;
  size_t documents = 0;
  std::string skipped;  // the objects that are not Deployments, for the error when nothing is left
  for (const auto& file : files) {
    const std::string source = file == "-" ? "STDIN" : file;
    RB_ASSIGN_OR_RETURN(std::string text, ReadAll(file));
    StatusOr<std::vector<fold::ManifestDocument>> docs = fold::ParseManifestText(text, source);
    if (!docs.ok()) {
      if (docs.status().message().find("no objects passed") != std::string::npos) continue;
      return Status(docs.status().code(), docs.status().message());
    }
    for (const auto& doc : *docs) {
      ++documents;
      if (!fold::IsDeployment(doc.object)) {
        auto text = [](const nlohmann::json& j, const char* key) {
          auto it = j.is_object() ? j.find(key) : j.end();
          return j.is_object() && it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        auto meta = doc.object.find("metadata");
        const std::string what =
            fmt::format("{} \"{}\" from \"{}\"", text(doc.object, "kind"),
                        meta != doc.object.end() ? text(*meta, "name") : std::string(), source);
        fmt::print(stderr, "Warning: skipping {}: rollbook records Deployments only\n", what);
        if (skipped.size() < 200) skipped += (skipped.empty() ? "" : ", ") + what;
        continue;
      }
      ManifestDeployment m;
      m.source = source;
      StatusOr<v1::Deployment> d = fold::DeploymentFromManifest(doc.object, globals.ns);
      if (!d.ok()) {
        m.error = fmt::format("error: error validating \"{}\": {}", source, d.status().message());
        out.push_back(std::move(m));
        continue;
      }
      m.deployment = std::move(d).value();
      const std::string& ns = m.deployment.metadata().namespace_();
      if (globals.ns_given && ns != globals.ns) {
        m.error = fmt::format(
            "error: the namespace from the provided object \"{}\" does not match the namespace \"{}\". You must pass "
            "'--namespace={}' to perform this operation.",
            ns, globals.ns, ns);
      } else if (fold::FieldErrors errors = fold::ValidateDeployment(m.deployment); !errors.empty()) {
        m.error = fold::FormatInvalid("Deployment", m.deployment.metadata().name(), errors);
      }
      out.push_back(std::move(m));
    }
  }
  if (documents == 0) return InvalidArgument(fmt::format("no objects passed to {}", verb));
  if (out.empty()) {
    return InvalidArgument(
        fmt::format("no objects passed to {}: the input holds no Deployment (skipped {})", verb, skipped));
  }
  return out;
}

}  // namespace rollbook::cli
