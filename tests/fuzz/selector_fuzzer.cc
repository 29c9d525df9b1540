// libFuzzer target: the label selector parser of `-l` (store/fold/labels.h).
//
// Input: the selector text. Besides "does not crash" it checks, for a text
// that parses:
//   * String() is canonical: parsing it gives an equal selector (same
//     requirements) whose String() is the same text;
//   * the re-parsed selector matches exactly the same label sets, and a
//     selector matches a label set exactly when each of its requirements does
//     (tried on label sets made from the selector's own keys and values, where
//     the interesting answers are);
// and for a text that does not parse, that the error has the server's prefix.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "store/fold/labels.h"

namespace {

using rollbook::fold::LabelMap;
using rollbook::fold::Selector;

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "selector_fuzzer: property violated: %s\n", what);
  std::abort();
}

// Label sets built from the selector: variant v gives requirement i's key the
// choice (v + i) % 5 of: absent, its first value, its last value, a value no
// requirement lists, and "0" (for the integer comparisons).
std::vector<LabelMap> LabelSetsFor(const Selector& selector) {
  std::vector<LabelMap> sets;
  for (int variant = 0; variant < 10; ++variant) {
    LabelMap labels;
    int i = 0;
    for (const auto& r : selector.requirements()) {
      switch ((variant + i++) % 5) {
        case 0:
          break;
        case 1:
          labels[r.key] = r.values.empty() ? "" : r.values.front();
          break;
        case 2:
          labels[r.key] = r.values.empty() ? "x" : r.values.back();
          break;
        case 3:
          labels[r.key] = "fuzz-unlisted-value";
          break;
        case 4:
          labels[r.key] = "0";
          break;
      }
    }
    sets.push_back(std::move(labels));
  }
  return sets;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = Selector::Parse(text);
  if (!parsed.ok()) {
    const std::string& message = parsed.status().message();
    if (message.rfind("unable to parse requirement: ", 0) != 0 && message.rfind("found '", 0) != 0) {
      Fail("a parse error does not use the server's wording");
    }
    return 0;
  }
  const std::string canonical = parsed->String();
  auto reparsed = Selector::Parse(canonical);
  if (!reparsed.ok()) Fail("String() of a parsed selector does not parse");
  if (reparsed->requirements() != parsed->requirements())
    Fail("parse(String()) gives different requirements");
  if (reparsed->String() != canonical) Fail("String() is not canonical");

  for (const LabelMap& labels : LabelSetsFor(*parsed)) {
    const bool matches = parsed->Matches(labels);
    if (reparsed->Matches(labels) != matches) Fail("the canonical form matches different label sets");
    bool all = true;
    for (const auto& r : parsed->requirements()) all = all && r.Matches(labels);
    if (all != matches) Fail("Matches is not the conjunction of the requirements");
  }
  return 0;
}
