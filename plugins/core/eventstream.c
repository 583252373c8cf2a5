/* eventstream: being written; see eventstream.h. */
#include "eventstream.h"
