/* kiln-installer: the program the installer media run as /init
 * (docs/install.md, "Installer media"). */
#ifndef KILN_MEDIUM_INSTALLER_H
#define KILN_MEDIUM_INSTALLER_H
int media_main(int argc, char **argv);
#endif
