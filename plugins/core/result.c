/* result: being written; see result.h. */
#include "result.h"
