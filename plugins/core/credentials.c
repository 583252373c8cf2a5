/* credentials: being written; see credentials.h. */
#include "credentials.h"
