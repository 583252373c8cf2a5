/* awssettings: being written; see awssettings.h. */
#include "awssettings.h"
