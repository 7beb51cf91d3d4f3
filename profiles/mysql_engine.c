/* See mysql_engine.h. */
#include "profiles/mysql_engine.h"
#include <errno.h>
#include <string.h>

static const struct mysql_engine_info engines[] = {
	/* Debian's MariaDB: mariadb.conf.d is read after conf.d by its my.cnf. */
	[MYSQL_ENGINE_MARIADB] = { "mariadb", "MariaDB", "mariadb.service", "mariadb",
				   "/etc/mysql/mariadb.conf.d/90-kiln.cnf", NULL },
	/* Oracle's packages (repo.mysql.com): their my.cnf includes conf.d and
	 * mysql.conf.d (where their mysqld.cnf lives); the unit is mysql.service. */
	[MYSQL_ENGINE_MYSQL] = { "mysql", "MySQL", "mysql.service", "mysql",
				 "/etc/mysql/mysql.conf.d/90-kiln.cnf", "mysql" },
};

const struct mysql_engine_info *mysql_engine_of(enum mysql_engine e)
{
	return &engines[e == MYSQL_ENGINE_MYSQL ? MYSQL_ENGINE_MYSQL : MYSQL_ENGINE_MARIADB];
}

int mysql_engine_parse(const char *s, enum mysql_engine *out)
{
	for (size_t i = 0; i < sizeof engines / sizeof *engines; i++)
		if (!strcmp(s, engines[i].name)) {
			*out = (enum mysql_engine)i;
			return 0;
		}
	return -EINVAL;
}
