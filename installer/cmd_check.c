/* kiln check PROFILE [--json]: strict validation of a deployment profile. */
#include "lib/backup_pitr.h"
#include "images/apt_sources.h"
#include "installer/commands.h"
#include "installer/state.h"
#include "lib/appliance.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "profiles/backup.h"
#include "profiles/galera.h"
#include "profiles/profile.h"
#include "targets/target.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void help(FILE *f)
{
	fprintf(f, "Usage: kiln check PROFILE [--json]\n\n"
		   "Validate a deployment profile strictly and summarise it. Every problem is\n"
		   "reported as FILE:LINE:COLUMN: error: MESSAGE on stderr. PROFILE may be '-' for stdin.\n\n"
		   "Options:\n"
		   "  --json     print the resolved model (defaults and presets applied) as JSON\n"
		   "  -h, --help show this help\n\n"
		   "Exit status: 0 valid, 1 invalid profile or unreadable file, 2 usage error.\n");
}

static void endpoint_text(const struct endpoint *e, char *out, size_t n)
{
	static const char *const kinds[] = { "host", "role", "subnet", "cidr" };
	snprintf(out, n, "%s %s", kinds[e->kind], e->name);
}

/* The archives images are built from, and a pinned snapshot. */
static void archives_line(const struct debian_settings *d)
{
	struct apt_archives a;
	apt_archives_for(d, &a);
	printf("archives:");
	for (size_t i = 0; i < a.n; i++)
		printf(" %s%s", a.v[i].suite, i + 1 < a.n ? "," : "");
	if (d->security)
		printf(" (security from %s)", d->security_mirror);
	if (d->snapshot)
		printf("; built from snapshot %s of %s", d->snapshot, d->snapshot_mirror);
	printf("\n");
	apt_archives_free(&a);
}

static void summary(const struct model *m)
{
	char a[19], b[19];
	printf("%s: valid (kiln schema %u)\n", m->source_name, m->schema);
	printf("deployment %s, domain %s, Debian %s from %s\n", m->name, m->domain, m->debian.suite, m->debian.mirror);
	archives_line(&m->debian);
	printf("\nsubnets (%zu):\n", m->n_subnets);
	for (size_t i = 0; i < m->n_subnets; i++) {
		const struct subnet *s = &m->subnets[i];
		printf("  %-12s %-18s gateway %s\n", s->name, ipv4_net_fmt(&s->cidr, a),
		       s->gateway ? ipv4_fmt(s->gateway, b) : "none");
	}
	printf("\nhosts (%zu):\n", m->n_hosts);
	for (size_t i = 0; i < m->n_hosts; i++) {
		const struct host *h = &m->hosts[i];
		const struct subnet *s = model_host_subnet(m, h);
		printf("  %-12s %-6s subnet %-10s %-15s %s (%u vCPU, %u MiB, os %u GiB, data %u GiB)%s%s\n", h->name,
		       role_name(h->role), s ? s->name : "?", h->dhcp ? "dhcp" : ipv4_fmt(h->address, a),
		       h->size_preset, h->size.vcpus, h->size.memory_mib, h->size.os_disk_gib, h->size.data_disk_gib,
		       h->replica_of ? ", replica of " : "", h->replica_of ? h->replica_of : "");
	}
	printf("\nflows (%zu):\n", m->n_flows);
	for (size_t i = 0; i < m->n_flows; i++) {
		char f[80], t[80];
		endpoint_text(&m->flows[i].from, f, sizeof f);
		endpoint_text(&m->flows[i].to, t, sizeof t);
		printf("  %s -> %s port %u/%s\n", f, t, m->flows[i].port, m->flows[i].proto == PROTO_UDP ? "udp" : "tcp");
	}
	printf("\ntargets:");
	for (size_t i = 0; i < m->n_targets; i++)
		printf(" %s", m->targets[i].name);
	printf("\n");
	const struct host *lb[2];
	size_t n_lb = model_lb_hosts(m, lb), n_minio = 0;
	char vip[16], src[64];
	if (n_lb)
		printf("\nlb: %s%s%s, HAProxy %s TLS, health check GET %s on each app host's 443%s%s\n", lb[0]->name,
		       n_lb == 2 ? " and " : "", n_lb == 2 ? lb[1]->name : "",
		       m->roles.lb.tls == LB_TLS_PASSTHROUGH ? "passing through" : "ending", lb_health_path(m),
		       n_lb == 2 ? "; keepalived moves virtual address " : "",
		       n_lb == 2 ? ipv4_fmt(m->roles.lb.virtual_address, vip) : "");
	for (size_t i = 0; i < m->roles.app.n_lb_external; i++) {
		endpoint_text(&m->roles.app.lb_external[i], src, sizeof src);
		printf("%sapp: behind your own load balancer: web ports 80, 443 only from %s", i ? ", " : "\n", src);
		if (i + 1 == m->roles.app.n_lb_external)
			printf("\n");
	}
	for (size_t i = 0; i < m->n_hosts; i++)
		n_minio += m->hosts[i].role == ROLE_MINIO;
	if (model_minio_distributed(m))
		printf("\nobject store: %zu minio hosts run as one distributed (erasure-coded) MinIO set\n", n_minio);
	else if (n_minio > 1)
		printf("\nobject store: %zu minio hosts run as separate single-drive servers (a distributed set needs 4 "
		       "or more)\n", n_minio);
	for (size_t i = 0, said = 0; i < m->roles.minio.n_buckets; i++) {
		const struct bucket *bk = &m->roles.minio.buckets[i];
		if (bk->replicate_to)
			printf("%sreplication: bucket %s to %s at %s (region %s; MinIO replicates new versions and "
			       "delete markers; the minio hosts reach it through the operator's network)\n",
			       said++ ? "" : "\n", bk->name, bk->replicate_to->bucket,
			       bk->replicate_to->endpoint, bk->replicate_to->region);
	}
	if (m->monitoring.host)
		printf("\nmonitoring: on %s (Prometheus, Alertmanager, central journal), %zu receiver%s, "
		       "%zu flow%s derived\n", m->monitoring.host, m->monitoring.n_receivers,
		       m->monitoring.n_receivers == 1 ? "" : "s", m->monitoring.n_flows, m->monitoring.n_flows == 1 ? "" : "s");
	if (galera_on(m)) {
		const struct host *nodes[64];
		size_t n = galera_nodes(m, nodes, 64);
		printf("\nmysql cluster: galera, %zu nodes (", n);
		for (size_t i = 0; i < n && i < 64; i++)
			printf("%s%s", i ? ", " : "", nodes[i]->name);
		printf("); %s bootstraps it at its first start only; the app reaches it as %s.%s; "
		       "flows 4567/tcp+udp, 4568/tcp, 4444/tcp between the nodes derived\n",
		       nodes[0]->name, GALERA_SERVICE_NAME, m->domain);
	}
	if (m->backup.on) {
		char to[32];
		backup_target_str(m->backup.restore_to, to);
		if (m->backup.s3_endpoint)
			printf("\nbackup: full %s, binary logs every %u min, keep %u days, bucket %s at %s (external, region %s; "
			       "the primaries reach it through the operator's network)\n",
			       backup_full_name_of(m->backup.full), m->backup.binlog_minutes, m->backup.keep_days,
			       m->backup.bucket, m->backup.s3_endpoint, m->backup.s3_region);
		else
			printf("\nbackup: full %s, binary logs every %u min, keep %u days, bucket %s on %s, %zu flow%s derived\n",
			       backup_full_name_of(m->backup.full), m->backup.binlog_minutes, m->backup.keep_days,
			       m->backup.bucket, backup_store_host(m)->name, m->backup.n_flows, m->backup.n_flows == 1 ? "" : "s");
		if (m->backup.restore)
			printf("backup.restore: %s: a fresh MySQL primary restores from the bucket (to %s) at first boot; "
			       "its seed carries the backup secret key\n", to, to);
	}
}

/* Backups are sealed to the operator's backup key: without it in the state
 * directory no seed can be built. Said here so it is known before a build
 * (a state directory given to build with --state is not looked at). */
static void backup_key_hint(const char *profile, const struct model *m)
{
	if (!m->backup.on || !strcmp(profile, "-"))
		return;
	_cleanup_free_ char *state = state_dir_resolve(NULL, profile, m->name);
	_cleanup_free_ char *pub = path_join(state, KILN_BACKUP_PUB_FILE);
	if (access(pub, F_OK) < 0) {
		fprintf(stderr, "kiln check: warning: the profile has backup: but %s does not exist; run "
				"'kiln backup keys init %s' before building\n", pub, profile);
		return;
	}
	/* backup.restore: the primaries' seeds carry the secret half */
	_cleanup_free_ char *key = path_join(state, "backup.key");
	if (m->backup.restore && access(key, F_OK) < 0)
		fprintf(stderr, "kiln check: warning: backup.restore puts the backup secret key into the primaries' "
				"seeds, but %s does not exist; put back the copy you keep before building\n", key);
}

int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int json = 0, c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': help(stdout); return 0;
		default: help(stderr); return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "kiln check: expected exactly one PROFILE argument\n");
		help(stderr);
		return 2;
	}
	struct model m;
	struct diags d = { 0 };
	int r = profile_load_file(argv[optind], target_profile_names(), &m, &d);
	if (r < 0) {
		diags_print(&d, stderr);
		fprintf(stderr, "kiln check: %s: %zu error%s\n", argv[optind], d.n, d.n == 1 ? "" : "s");
		diags_free(&d);
		return 1;
	}
	diags_free(&d);
	if (json) {
		struct buf b;
		buf_init(&b);
		model_to_json(&m, &b);
		fwrite(b.data, 1, b.len, stdout);
		buf_free(&b);
	} else
		summary(&m);
	backup_key_hint(argv[optind], &m);
	model_free(&m);
	return fflush(stdout) == 0 ? 0 : 1;
}
