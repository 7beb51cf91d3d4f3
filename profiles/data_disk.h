/* The data disk a mysql or minio host keeps its server's data on: where it
 * is mounted, which unit is the server, and the drop-in that ties the
 * server to that mount. One home for both binaries: kiln build puts the
 * drop-in in the role's image, so systemd loads the server's unit with it
 * at the first boot (a file written after that would leave the unit
 * "changed on disk" until a reload, seconds of a first boot under TCG), and
 * kiln-firstboot's data disk step writes the same bytes again (left alone
 * when they are there already). */
#ifndef KILN_PROFILES_DATA_DISK_H
#define KILN_PROFILES_DATA_DISK_H
#include "lib/buf.h"
#include "profiles/model.h"

#define DATA_DISK_DROPIN "kiln-data-disk.conf"

/* "/var/lib/mysql", "/var/lib/minio"; NULL for a role that keeps no data. */
const char *data_disk_path(enum role r);
/* The server's unit (roles.mysql.engine's for mysql, minio.service), or
 * NULL for a role that keeps no data. */
const char *data_disk_server_unit(const struct model *m, enum role r);
/* The drop-in's directory, "/etc/systemd/system/UNIT.d", and its path in
 * it, ".../kiln-data-disk.conf" (each to free). */
char *data_disk_dropin_dir(const char *unit);
char *data_disk_dropin_path(const char *unit);
/* Its text, appended to out: RequiresMountsFor= the data path, so that when
 * the disk's mount fails (the disk late or gone) systemd does not start the
 * server at all, rather than on the image's own empty directory under the
 * mount point (a new, empty database). */
void data_disk_dropin(const char *path, struct buf *out);
#endif
