/* The front end `fragsim` holds no allocator under test: `run` execs the
 * worker of the allocator asked for (cli.c). */
#include "backend.h"

const backend_ops *const backend_self = NULL;
