#include "store/fold/validation.h"
