#include "cli/render/human_duration.h"
