/* http: being written; see http.h. */
#include "http.h"
