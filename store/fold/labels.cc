#include "store/fold/labels.h"
