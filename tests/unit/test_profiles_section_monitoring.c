/* profiles/section_monitoring.c and monitoring.c: the monitoring: section
 * (every rejection at its FILE:LINE:COL), its defaults, the flows it
 * derives, the packages and disabled units it adds to each role's image,
 * and the ports it keeps for itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/buf.h"
#include "profiles/monitoring.h"
#include "profiles/profile.h"
#include "tests/unit/profile_rejects.h"

/* Lines 1..15; cases append from line 16. */
#define BASE \
	"kiln: 1\n" \
	"deployment: {name: t, domain: t.lan}\n" \
	"subnets:\n" \
	"  - {name: a, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n" \
	"  - {name: adm, cidr: 10.9.0.0/24}\n" \
	"hosts:\n" \
	"  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n" \
	"  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n" \
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n" \
	"ssh: {allow_from: [adm]}\n" \
	"roles:\n" \
	"  app: {service: {exec: /bin/true}}\n" \
	"  minio: {buckets: [{name: audit}]}\n" \
	"flows:\n" \
	"  - {from: {role: app}, to: {role: mysql}, port: 3306}\n"

/* An lb host in front of app1 (role_lb.c's metrics frontend, MON_PORT_HAPROXY). */
#define LBP \
	"kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n" \
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n  - {name: lb1, role: lb, subnet: a, address: 10.0.0.5}\n" \
	"roles: {app: {service: {exec: /bin/true}}}\n"

static const struct reject rejects[] = {
	{ "not a mapping", BASE "monitoring: [db1]\n", 16, 13, "monitoring must be a mapping, not a list" },
	{ "unknown key", BASE "monitoring: {host: db1, hots: x}\n", 16, 25,
	  "unknown key 'hots' in monitoring (expected one of: host, retention_days" },
	{ "missing host", BASE "monitoring: {retention_days: 3}\n", 16, 13, "monitoring: missing required key 'host'" },
	{ "unknown host", BASE "monitoring: {host: db9}\n", 16, 20,
	  "monitoring.host names host 'db9', which is not under hosts (expected one of: db1, s3, app1)" },
	{ "retention range", BASE "monitoring: {host: db1, retention_days: 0}\n", 16, 41,
	  "'retention_days' is 0, out of range (expected 1..3650)" },
	{ "allow_from unknown subnet", BASE "monitoring: {host: db1, allow_from: [ops]}\n", 16, 38,
	  "monitoring.allow_from names subnet 'ops', which is not defined" },
	{ "allow_from bad cidr", BASE "monitoring: {host: db1, allow_from: [10.1.0.1/16]}\n", 16, 38,
	  "host bits are set" },
	{ "app_health not a path", BASE "monitoring: {host: db1, app_health: healthz}\n", 16, 37,
	  "app_health 'healthz' must be a URL path" },
	{ "receivers not a list", BASE "monitoring: {host: db1, receivers: {webhook: x}}\n", 16, 36,
	  "monitoring.receivers must be a list, not a mapping" },
	{ "receiver with two kinds", BASE "monitoring:\n  host: db1\n  receivers:\n    - {webhook: https://h.t.lan/a, email: a@t.lan}\n",
	  19, 7, "a receiver must have exactly one of webhook (a URL) or email (an address)" },
	{ "receiver unknown kind", BASE "monitoring:\n  host: db1\n  receivers:\n    - {slack: x}\n", 19, 8,
	  "unknown key 'slack' in a receiver (expected one of: webhook, email)" },
	{ "bad webhook", BASE "monitoring:\n  host: db1\n  receivers:\n    - webhook: ftp://h.t.lan/x\n", 19, 16,
	  "receiver webhook 'ftp://h.t.lan/x' must be an http:// or https:// URL" },
	{ "webhook with credentials", BASE "monitoring:\n  host: db1\n  receivers:\n    - webhook: https://u:p@h.t.lan/x\n",
	  19, 16, "must not carry credentials" },
	{ "bad email", BASE "monitoring:\n  host: db1\n  receivers:\n    - email: ops\n  smtp: {smarthost: m.t.lan:25, from: a@t.lan}\n",
	  19, 14, "receiver email 'ops' must be an e-mail address" },
	{ "duplicate receiver", BASE "monitoring:\n  host: db1\n  receivers:\n    - email: a@t.lan\n    - email: a@t.lan\n"
	  "  smtp: {smarthost: m.t.lan:25, from: a@t.lan}\n", 20, 14, "duplicate receiver email 'a@t.lan'" },
	{ "email without smtp", BASE "monitoring:\n  host: db1\n  receivers:\n    - email: a@t.lan\n", 19, 7,
	  "an email receiver needs monitoring.smtp (smarthost and from)" },
	{ "smtp without from", BASE "monitoring:\n  host: db1\n  smtp: {smarthost: m.t.lan:25}\n", 18, 9,
	  "monitoring.smtp: missing required key 'from'" },
	{ "bad smarthost", BASE "monitoring:\n  host: db1\n  smtp: {smarthost: m.t.lan, from: a@t.lan}\n", 18, 21,
	  "smarthost 'm.t.lan' must be HOST:PORT" },
	{ "require_tls not a bool", BASE "monitoring:\n  host: db1\n  smtp: {smarthost: m.t.lan:25, from: a@t.lan, require_tls: yes}\n",
	  18, 61, "'require_tls' must be true or false" },
	{ "archive bucket unknown", BASE "monitoring: {host: db1, archive_drops: {bucket: logs}}\n", 16, 49,
	  "archive_drops names bucket 'logs', which is not under roles.minio.buckets" },
	{ "archive without bucket", BASE "monitoring: {host: db1, archive_drops: {}}\n", 16, 40,
	  "monitoring.archive_drops: missing required key 'bucket'" },
	{ "flow opens the node exporter", BASE "  - {from: {subnet: a}, to: {role: mysql}, port: 9100}\nmonitoring: {host: s3}\n",
	  16, 5, "this flow opens port 9100 on host db1, which is the node exporter's when monitoring is on" },
	{ "flow opens journal-remote", BASE "  - {from: {subnet: a}, to: {host: s3}, port: 19532}\nmonitoring: {host: s3}\n",
	  16, 5, "opens port 19532 on host s3, which is systemd-journal-remote's" },
	{ "flow opens Prometheus", BASE "  - {from: {subnet: a}, to: {role: minio}, port: 9090}\nmonitoring: {host: s3}\n",
	  16, 5, "opens port 9090 on host s3, which is Prometheus'" },
	{ "flow opens the MySQL exporter", BASE "  - {from: {subnet: a}, to: {host: db1}, port: 9104}\nmonitoring: {host: s3}\n",
	  16, 5, "the MySQL exporter's" },
	{ "flow opens HAProxy's metrics on an lb host", LBP "flows:\n  - {from: {subnet: a}, to: {role: lb}, port: 8405}\n"
	  "monitoring: {host: app1}\n", 10, 5, "this flow opens port 8405 on host lb1, which is HAProxy's exporter's when monitoring is on" },
	{ "a host without a name, a flow and monitoring (found by fuzz_profile: no crash)",
	  "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n"
	  "  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n  - {role: mysql, subnet: a, address: 10.0.0.10}\n"
	  "flows:\n  - {from: {subnet: a}, to: {role: mysql}, port: 9100}\nmonitoring: {host: s3}\n", 7, 5,
	  "missing required key 'name'" },
	{ "app port is nginx's status page",
	  "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n"
	  "  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\nroles: {app: {service: {exec: /bin/true, port: 8081}}}\n"
	  "monitoring: {host: app1}\n", 8, 13, "roles.app.service.port 8081 is nginx's status page's on 127.0.0.1" },
	{ "app port is Alertmanager's on the monitoring host",
	  "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\nhosts:\n"
	  "  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\nroles: {app: {service: {exec: /bin/true, port: 9093}}}\n"
	  "monitoring: {host: app1}\n", 8, 13, "roles.app.service.port 9093 is Alertmanager's" },
};

/* A flow to 9104 on a host that runs no MySQL exporter is the profile's business. */
static void test_port_free_elsewhere(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(BASE "  - {from: {subnet: a}, to: {host: app1}, port: 9104}\nmonitoring: {host: s3}\n", &m, &d), 0);
	model_free(&m);
	diags_free(&d);
	/* 8405 is HAProxy's metrics only on lb hosts */
	assert_int_equal(load(BASE "  - {from: {subnet: a}, to: {host: app1}, port: 8405}\nmonitoring: {host: s3}\n", &m, &d), 0);
	model_free(&m);
	diags_free(&d);
}

static const struct flow *find_flow(const struct model *m, const char *from, const char *to, unsigned port)
{
	for (size_t i = 0; i < m->monitoring.n_flows; i++) {
		const struct flow *f = &m->monitoring.flows[i];
		if (!strcmp(f->from.name, from) && !strcmp(f->to.name, to) && f->port == port)
			return f;
	}
	return NULL;
}

static void test_defaults_and_flows(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(BASE "monitoring: {host: s3}\n", &m, &d), 0);
	assert_true(monitoring_on(&m));
	assert_string_equal(monitoring_host(&m)->name, "s3");
	assert_int_equal(m.monitoring.retention_days, 15);
	assert_true(m.monitoring.smtp_require_tls);
	/* allow_from defaults to ssh.allow_from */
	assert_int_equal(m.monitoring.n_allow_from, 1);
	assert_string_equal(m.monitoring.allow_from[0].name, "adm");
	/* scrapes from s3 to the others, s3's own over loopback */
	assert_non_null(find_flow(&m, "s3", "db1", MON_PORT_NODE));
	assert_non_null(find_flow(&m, "s3", "db1", MON_PORT_MYSQLD));
	assert_non_null(find_flow(&m, "s3", "app1", MON_PORT_NODE));
	assert_null(find_flow(&m, "s3", "app1", MON_PORT_MYSQLD));
	assert_null(find_flow(&m, "s3", "s3", MON_PORT_NODE));
	/* log upload to s3 from the others; the status page from adm */
	assert_non_null(find_flow(&m, "db1", "s3", MON_PORT_JOURNAL));
	assert_non_null(find_flow(&m, "app1", "s3", MON_PORT_JOURNAL));
	assert_null(find_flow(&m, "s3", "s3", MON_PORT_JOURNAL));
	const struct flow *f = find_flow(&m, "adm", "s3", MON_PORT_PROMETHEUS);
	assert_non_null(f);
	assert_int_equal(f->from.kind, EP_SUBNET);
	assert_int_equal(m.monitoring.n_flows, 2 + 1 + 2 + 1);   /* node x2, mysqld, journal x2, status page */
	/* the JSON model shows them */
	struct buf b;
	buf_init(&b);
	model_to_json(&m, &b);
	assert_non_null(strstr(b.data, "\"monitoring\":{\"host\":\"s3\",\"retention_days\":15"));
	assert_non_null(strstr(b.data, "{\"from\":{\"subnet\":\"adm\"},\"to\":{\"host\":\"s3\"},\"port\":9090,\"proto\":\"tcp\"}"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
	/* an lb host: the monitoring host scrapes HAProxy's metrics there, and its node exporter */
	assert_int_equal(load(LBP "monitoring: {host: app1}\n", &m, &d), 0);
	assert_non_null(find_flow(&m, "app1", "lb1", MON_PORT_HAPROXY));
	assert_non_null(find_flow(&m, "app1", "lb1", MON_PORT_NODE));
	assert_null(find_flow(&m, "lb1", "app1", MON_PORT_HAPROXY));
	assert_int_equal(m.monitoring.n_flows, 2 + 1);   /* node, haproxy, journal */
	assert_non_null(monitoring_port_owner(&m, &m.hosts[1], MON_PORT_HAPROXY));
	assert_null(monitoring_port_owner(&m, &m.hosts[0], MON_PORT_HAPROXY));
	model_free(&m);
	diags_free(&d);
}

static void test_no_monitoring(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	const char *pk[MON_PACKAGES_MAX];
	assert_int_equal(load(BASE, &m, &d), 0);
	assert_false(monitoring_on(&m));
	assert_null(monitoring_host(&m));
	assert_int_equal(m.monitoring.n_flows, 0);
	assert_int_equal(monitoring_packages(&m, ROLE_MYSQL, pk, MON_PACKAGES_MAX), 0);
	assert_null(monitoring_port_owner(&m, &m.hosts[0], MON_PORT_NODE));
	struct buf b;
	buf_init(&b);
	model_to_json(&m, &b);
	assert_null(strstr(b.data, "\"monitoring\""));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
}

static bool has(const char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static void test_packages(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	const char *pk[MON_PACKAGES_MAX], *un[MON_PACKAGES_MAX];
	assert_int_equal(load(BASE "monitoring:\n  host: s3\n  allow_from: [10.9.0.0/24]\n", &m, &d), 0);
	assert_int_equal(m.monitoring.allow_from[0].kind, EP_CIDR);
	size_t n = monitoring_packages(&m, ROLE_MYSQL, pk, MON_PACKAGES_MAX);
	assert_int_equal(n, 3);
	assert_true(has(pk, n, "prometheus-node-exporter") && has(pk, n, "systemd-journal-remote") &&
		    has(pk, n, "prometheus-mysqld-exporter"));
	n = monitoring_packages(&m, ROLE_MINIO, pk, MON_PACKAGES_MAX);
	assert_int_equal(n, 4);
	assert_true(has(pk, n, "prometheus") && has(pk, n, "prometheus-alertmanager"));
	n = monitoring_packages(&m, ROLE_APP, pk, MON_PACKAGES_MAX);
	assert_int_equal(n, 2);
	n = monitoring_disabled_units(&m, ROLE_MINIO, un, MON_PACKAGES_MAX);
	assert_int_equal(n, 3);
	assert_true(has(un, n, "prometheus-node-exporter.service") && has(un, n, "prometheus.service") &&
		    has(un, n, "prometheus-alertmanager.service"));
	/* the ports it keeps, per host */
	assert_non_null(monitoring_port_owner(&m, &m.hosts[2], MON_PORT_NODE));
	assert_non_null(monitoring_port_owner(&m, &m.hosts[2], MON_NGINX_STATUS_PORT));
	assert_null(monitoring_port_owner(&m, &m.hosts[2], MON_PORT_JOURNAL));
	assert_non_null(monitoring_port_owner(&m, &m.hosts[1], MON_PORT_ALERTMANAGER));
	assert_null(monitoring_port_owner(&m, &m.hosts[1], 3306));
	assert_null(monitoring_port_owner(&m, &m.hosts[2], MON_PORT_HAPROXY));   /* no lb host */
	char a[320];
	assert_string_equal(monitoring_peer_addr(&m, &m.hosts[1], a, sizeof a), "10.0.0.11");
	model_free(&m);
	diags_free(&d);
}

/* A DHCP monitoring host: peers are allowed by its subnet, found by name. */
static void test_dhcp_monitoring_host(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load("kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
			      "hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
			      "  - {name: mon, role: mysql, subnet: a, address: dhcp}\nmonitoring: {host: mon}\n", &m, &d), 0);
	char a[320];
	assert_string_equal(monitoring_peer_addr(&m, monitoring_host(&m), a, sizeof a), "mon.t.lan");
	assert_int_equal(m.monitoring.n_allow_from, 0);   /* no ssh.allow_from: the status page stays local */
	model_free(&m);
	diags_free(&d);
}

int main(void)
{
	struct CMUnitTest tests[sizeof rejects / sizeof *rejects + 5];
	size_t n = 0;
	n += add_rejects(tests, rejects, sizeof rejects / sizeof *rejects);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_port_free_elsewhere);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_defaults_and_flows);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_no_monitoring);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_packages);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_dhcp_monitoring_host);
	return _cmocka_run_group_tests("section_monitoring", tests, n, NULL, NULL);
}
