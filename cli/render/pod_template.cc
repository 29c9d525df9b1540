#include "cli/render/pod_template.h"
