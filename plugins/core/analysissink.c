/* analysissink: being written; see analysissink.h. */
#include "analysissink.h"
