/* roles.mysql.engine: the facts that differ between the two servers the
 * mysql role can run, in one place for the builder (recipe variant), the
 * monitoring renderer (the unit the exporter follows) and kiln-firstboot
 * (configuration file, programs, service). The SQL dialects themselves are
 * firstboot/role_mysql.c's. */
#ifndef KILN_PROFILES_MYSQL_ENGINE_H
#define KILN_PROFILES_MYSQL_ENGINE_H
#include "profiles/model.h"

struct mysql_engine_info {
	const char *name;           /* "mariadb", "mysql": the profile's spelling */
	const char *product;        /* "MariaDB", "MySQL": for messages */
	const char *service;        /* the server's systemd unit */
	const char *client;         /* the command-line client, run over the local socket */
	const char *cnf_path;       /* kiln's option file, read by the packaged my.cnf's !includedir */
	const char *recipe_variant; /* images/roles/mysql-<variant>.yaml, or NULL (mysql.yaml alone) */
};

const struct mysql_engine_info *mysql_engine_of(enum mysql_engine e);
/* "mariadb" or "mysql"; -EINVAL for anything else (*out unchanged). */
int mysql_engine_parse(const char *s, enum mysql_engine *out);
#endif
