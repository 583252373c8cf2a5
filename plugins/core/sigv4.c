/* sigv4: being written; see sigv4.h. */
#include "sigv4.h"
