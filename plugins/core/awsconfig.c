/* awsconfig: being written; see awsconfig.h. */
#include "awsconfig.h"
