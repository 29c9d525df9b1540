#include "store/fold/manifest.h"
