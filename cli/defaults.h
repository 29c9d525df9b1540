// Defaults of the global flags, from the environment (shared by the CLI and
// the projector daemon so both find the same broker, topic and database).
#pragma once

#include <string>

namespace rollbook::cli {

std::string DefaultBrokers();  // $ROLLBOOK_BROKERS or 127.0.0.1:9092
std::string DefaultTopic();    // $ROLLBOOK_TOPIC or rollbook.events
std::string DefaultDbPath();   // $ROLLBOOK_DB or $XDG_DATA_HOME/rollbook/rollbook.db (~/.local/share/...)

}  // namespace rollbook::cli
