/* placeholder while select.c is tested */
#include "medium/installer.h"
int media_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 1;
}
