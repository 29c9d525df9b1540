#include "cli/render/tabwriter.h"
