#include "profiles/galera.h"
#include <string.h>

const struct galera_port galera_ports[4] = {
	{ PROTO_TCP, 4567 }, { PROTO_UDP, 4567 }, { PROTO_TCP, 4568 }, { PROTO_TCP, 4444 },
};

bool galera_on(const struct model *m)
{
	return m->roles.mysql.cluster == MYSQL_CLUSTER_GALERA;
}

static bool before(const struct host *a, const struct host *b)
{
	return strcmp(a->name ? a->name : "", b->name ? b->name : "") < 0;
}

size_t galera_nodes(const struct model *m, const struct host **out, size_t max)
{
	size_t n = 0;
	if (!galera_on(m))
		return 0;
	/* insertion sort: a handful of hosts */
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		if (h->role != ROLE_MYSQL)
			continue;
		size_t j = n < max ? n : max;
		while (j > 0 && before(h, out[j - 1])) {
			if (j < max)
				out[j] = out[j - 1];
			j--;
		}
		if (j < max)
			out[j] = h;
		n++;
	}
	return n;
}

const struct host *galera_bootstrapper(const struct model *m)
{
	const struct host *first = NULL;
	return galera_nodes(m, &first, 1) ? first : NULL;
}

size_t galera_packages(const struct model *m, enum role r, const char **out, size_t max)
{
	if (!galera_on(m) || r != ROLE_MYSQL || !max)
		return 0;
	out[0] = "mariadb-backup";   /* wsrep_sst_mariabackup runs it on donor and joiner */
	return 1;
}
