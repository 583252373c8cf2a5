/* awserror: being written; see awserror.h. */
#include "awserror.h"
