#include "resp.h"
int cmd_response_validate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 2;
}
