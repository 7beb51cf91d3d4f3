/* roles.mysql.cluster: galera (docs/firstboot.md, "Galera"): every mysql
 * host is a node of one MariaDB Galera cluster. What the profile implies:
 * the nodes (in name order; the first one bootstraps the cluster once), the
 * flows between them (group communication, IST, SST), the packages, and the
 * stable name the app reaches the cluster by. */
#ifndef KILN_PROFILES_GALERA_H
#define KILN_PROFILES_GALERA_H
#include <stdbool.h>
#include <stddef.h>
#include "profiles/model.h"

#define GALERA_MIN_NODES 3
/* ${role.mysql} in galera mode: "<this>.<domain>", which every host's
 * /etc/hosts gives every node's address (render_hosts); a client trying the
 * addresses in turn reaches whichever node is up. No host may be named so. */
#define GALERA_SERVICE_NAME "galera"
/* The account the mariabackup SST logs in with on the donor (its password:
 * the sealed secret mysql_sst_password). */
#define GALERA_SST_USER "kiln_sst"

bool galera_on(const struct model *m);
/* The nodes, sorted by name: pointers into m->hosts; returns how many
 * (all of them, even when more than max: out holds the first max). */
size_t galera_nodes(const struct model *m, const struct host **out, size_t max);
/* The node that bootstraps a new cluster: the first mysql host by name
 * (strcmp order). NULL when galera is off or there is no mysql host. */
const struct host *galera_bootstrapper(const struct model *m);

/* The ports the nodes reach each other on (from every other node): 4567
 * tcp and udp (group communication), 4568 tcp (IST), 4444 tcp (SST). */
struct galera_port {
	enum proto proto;
	uint16_t port;
};
extern const struct galera_port galera_ports[4];

/* Packages the mysql role's image needs on top of its recipe: mariadb-backup
 * (the SST method; galera-4 and socat come with mariadb-server). */
size_t galera_packages(const struct model *m, enum role r, const char **out, size_t max);
#endif
