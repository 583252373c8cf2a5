/* s3: being written; see s3.h. */
#include "s3.h"
