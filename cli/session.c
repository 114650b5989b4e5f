/* ketsim session: placeholder replaced below */
#include "cli.h"
int cmd_session(int argc, char **argv) { (void)argc; (void)argv; return 2; }
