// `rollbook rollout ...` sub-verbs, one file each (rollout_<verb>.cc).
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command.h"
#include "rollbook/state/v1/aggregate.pb.h"

namespace rollbook::cli {

void RegisterRolloutHistory(CLI::App& rollout, Cli& cli);
void RegisterRolloutUndo(CLI::App& rollout, Cli& cli);
void RegisterRolloutPauseResume(CLI::App& rollout, Cli& cli);
void RegisterRolloutRestart(CLI::App& rollout, Cli& cli);
void RegisterRolloutStatus(CLI::App& rollout, Cli& cli);

// The REVISION / CHANGE-CAUSE table body, aligned as kubectl aligns it.
std::string HistoryTable(const std::vector<const state::v1::ReplicaSet*>& by_revision);

}  // namespace rollbook::cli
