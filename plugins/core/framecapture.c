/* framecapture: being written; see framecapture.h. */
#include "framecapture.h"
