#include "cli/render/describe_deployment.h"
