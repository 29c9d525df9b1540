#include "cli/render/get_table.h"

#include <fmt/format.h>

#include "cli/render/tabwriter.h"

namespace rollbook::render {
namespace {

void AppendRow(std::string& out, const std::vector<std::string>& cells, bool upper) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i != 0) out.push_back('\t');
    if (upper) {
      for (const char c : cells[i])
        out.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
    } else {
      out.append(cells[i]);
    }
  }
  out.push_back('\n');
}

}  // namespace

std::string RenderGetTable(const std::vector<std::string>& headers,
                           const std::vector<std::vector<std::string>>& rows) {
  std::string text;
  AppendRow(text, headers, /*upper=*/true);
  for (const auto& row : rows) AppendRow(text, row, /*upper=*/false);
  return AlignTabs(text, kGetTabs);
}

std::string NoResourcesFound(std::string_view ns) {
  if (ns.empty()) return "No resources found\n";
  return fmt::format("No resources found in {} namespace.\n", ns);
}

}  // namespace rollbook::render
