// kubectl's --record: the change-cause text a command line produces (spec §2.3).
//
// "<basename(argv[0])>" + " " + each positional argument (sub-command words
// included) in order + " --<long-name>=<value>" for each flag given, in
// command-line order; short flags are shown by their long name and boolean
// flags as "=true". Example:
//   rollbook scale deployment/web --replicas=5 --record=true
#pragma once

#include <string>
#include <vector>

namespace rollbook::cli {

std::string ChangeCauseFor(const std::vector<std::string>& argv);

}  // namespace rollbook::cli
