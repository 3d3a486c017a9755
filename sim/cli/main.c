/* main: the fragsim front end's and every worker's entry point.  Apart
 * from the fragsim_cli library so that a test program, which has a main of
 * its own, can link the library. */
#include "cli.h"

int main(int argc, char **argv) { return cli_main(argc, argv); }
