/* awsclient: being written; see awsclient.h. */
#include "awsclient.h"
