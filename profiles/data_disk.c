/* The data disk's facts; see data_disk.h. */
#include "profiles/data_disk.h"
#include "lib/xalloc.h"
#include "profiles/mysql_engine.h"

const char *data_disk_path(enum role r)
{
	return r == ROLE_MYSQL ? "/var/lib/mysql" : r == ROLE_MINIO ? "/var/lib/minio" : NULL;
}

const char *data_disk_server_unit(const struct model *m, enum role r)
{
	return r == ROLE_MYSQL ? mysql_engine_of(m->roles.mysql.engine)->service : r == ROLE_MINIO ? "minio.service" : NULL;
}

char *data_disk_dropin_dir(const char *unit)
{
	return xasprintf("/etc/systemd/system/%s.d", unit);
}

char *data_disk_dropin_path(const char *unit)
{
	return xasprintf("/etc/systemd/system/%s.d/" DATA_DISK_DROPIN, unit);
}

void data_disk_dropin(const char *path, struct buf *out)
{
	buf_printf(out, "# Written by kiln: no server without its data disk (docs/firstboot.md)\n"
			"[Unit]\nRequiresMountsFor=%s\n", path);
}
