/* kiln-installer: the installer media's /init (medium/installer.h). */
#include "medium/installer.h"

int main(int argc, char **argv)
{
	return media_main(argc, argv);
}
