/* firstboot/role_lb.c's renderers: haproxy.cfg (terminate and passthrough,
 * one and two lb hosts) and keepalived.conf, each checked by the real tool
 * (`haproxy -c`, `keepalived -t`), and every refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "firstboot/metrics.h"
#include "firstboot/role_lb.h"
#include "lib/fileio.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include "tests/unit/profile_fixture.h"
#include "tmpdir_fixture.h"

#define HEAD \
	"kiln: 1\n" \
	"deployment: {name: shop, domain: t.lan}\n" \
	"subnets:\n" \
	"  - {name: a, cidr: 10.0.0.0/24, gateway: 10.0.0.1}\n" \
	"hosts:\n" \
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n" \
	"  - {name: app2, role: app, subnet: a, address: 10.0.0.21}\n" \
	"  - {name: lb1, role: lb, subnet: a, address: 10.0.0.5}\n"
#define LB2 "  - {name: lb2, role: lb, subnet: a, address: 10.0.0.6}\n"
#define APP "roles:\n  app: {service: {exec: /bin/true}}\n"

static void load_ok(const char *yaml, struct model *m)
{
	struct diags d;
	int r = profile_load_text(yaml, NULL, m, &d);
	if (r < 0)
		diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
}

/* The files haproxy.cfg names, made once: a certificate+key bundle and a CA. */
static struct lb_paths test_paths(void)
{
	static char *bundle, *ca, *sock;
	if (!bundle) {
		bundle = xasprintf("%s/kiln.pem", tmpdir);
		ca = xasprintf("%s/ca.pem", tmpdir);
		sock = xasprintf("%s/admin.sock", tmpdir);
		char *cmd = xasprintf("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
				      "-subj /CN=t -keyout %s/k.pem -out %s 2>/dev/null && cat %s %s/k.pem > %s",
				      tmpdir, ca, ca, tmpdir, bundle);
		assert_int_equal(system(cmd), 0);
		free(cmd);
	}
	return (struct lb_paths){ .bundle = bundle, .ca = ca, .stats_socket = sock, .metrics_pem = bundle };
}

/* The real tool's verdict on text: 0 when it accepts it. */
static int oracle(const char *tool, const char *text)
{
	char *p = xasprintf("%s/%s.conf", tmpdir, tool);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0600), 0);
	const char *haproxy[] = { "haproxy", "-c", "-q", "-f", p, NULL };
	/* keepalived -t wants the VRRP interface to exist and not be loopback:
	 * a veth pair "kiln0" in a network namespace of the check's own */
	char *ka = xasprintf("ip link add kiln0 type veth peer name kiln1 && exec keepalived -t -n -l -f %s", p);
	const char *keepalived[] = { "unshare", geteuid() ? "-rn" : "-n", "sh", "-c", ka, NULL };
	struct buf err;
	buf_init(&err);
	int st = spawn_capture(!strcmp(tool, "haproxy") ? haproxy : keepalived, NULL, &err, 0);
	if (st != 0)
		fprintf(stderr, "%s: %.*s\n", tool, (int)err.len, err.data ? err.data : "");
	buf_free(&err);
	free(ka);
	free(p);
	return st;
}

static void test_haproxy_terminate_one(void **state)
{
	(void)state;
	struct model m;
	load_ok(HEAD APP "  lb: {health_check: /healthz}\n", &m);
	struct buf b;
	buf_init(&b);
	struct lb_paths p = test_paths();
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &p, &b), 0);
	assert_non_null(strstr(b.data, "\tbind 10.0.0.5:80\n\thttp-request redirect scheme https code 308\n"));
	assert_non_null(strstr(b.data, "\tbind 10.0.0.5:443 ssl crt "));
	assert_non_null(strstr(b.data, "frontend https_in\n\tmode http\n"));
	assert_non_null(strstr(b.data, "http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host app1.t.lan\n"));
	assert_non_null(strstr(b.data, "default-server inter 2s fastinter 1s fall 2 rise 2 ssl verify required ca-file "));
	assert_non_null(strstr(b.data, "\tserver app1 10.0.0.20:443 check verifyhost app1.t.lan sni str(app1.t.lan)\n"));
	assert_non_null(strstr(b.data, "\tserver app2 10.0.0.21:443 check verifyhost app2.t.lan sni str(app2.t.lan)\n"));
	assert_null(strstr(b.data, "\tchroot"));    /* the test paths: none */
	assert_non_null(strstr(b.data, "\tlog stdout format raw local0\n"));
	assert_int_equal(oracle("haproxy", b.data), 0);
	buf_free(&b);
	/* the appliance's paths */
	buf_init(&b);
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &lb_paths_default, &b), 0);
	assert_non_null(strstr(b.data, "\tchroot /var/lib/haproxy\n"));
	assert_non_null(strstr(b.data, "\tuser haproxy\n\tgroup haproxy\n"));
	assert_non_null(strstr(b.data, "ssl crt " LB_BUNDLE "\n"));
	assert_non_null(strstr(b.data, "ca-file " LB_CA "\n"));
	buf_free(&b);
	model_free(&m);
}

static void test_haproxy_passthrough_two(void **state)
{
	(void)state;
	struct model m;
	load_ok(HEAD LB2 "roles:\n  app: {service: {exec: /bin/true}, tls: {server_name: www.t.lan}}\n"
		"  lb: {tls: passthrough, virtual_address: 10.0.0.9}\n"
		"monitoring: {host: app1, app_health: /up}\n", &m);
	struct buf b;
	buf_init(&b);
	struct lb_paths p = test_paths();
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb2"), &p, &b), 0);
	assert_non_null(strstr(b.data, "\tbind 10.0.0.6:443\n\tbind 10.0.0.9:443\n"));
	assert_non_null(strstr(b.data, "\tbind 10.0.0.6:80\n\tbind 10.0.0.9:80\n"));
	assert_non_null(strstr(b.data, "frontend https_in\n\tmode tcp\n"));
	assert_null(strstr(b.data, ":443 ssl"));   /* nothing ended here */
	assert_non_null(strstr(b.data, "\tbind 10.0.0.6:8405 ssl crt "));   /* monitoring: the metrics frontend only */
	assert_non_null(strstr(b.data, "uri /up ver HTTP/1.1 hdr Host www.t.lan\n"));
	assert_non_null(strstr(b.data, " check-ssl verify required"));
	assert_non_null(strstr(b.data, "\tserver app1 10.0.0.20:443 check verifyhost www.t.lan check-sni www.t.lan\n"));
	assert_int_equal(oracle("haproxy", b.data), 0);
	buf_free(&b);
	model_free(&m);

	/* the operator's own certificate: backends checked against the system's CAs */
	load_ok(HEAD "roles:\n  app: {service: {exec: /bin/true}, tls: {cert: c.pem, key: k.pem}}\n", &m);
	buf_init(&b);
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &p, &b), 0);
	assert_non_null(strstr(b.data, "verify required ca-file @system-ca\n"));
	buf_free(&b);
	model_free(&m);
}

static void test_keepalived(void **state)
{
	(void)state;
	struct model m;
	load_ok(HEAD LB2 APP "  lb: {virtual_address: 10.0.0.9}\n", &m);
	struct buf b1, b2;
	buf_init(&b1);
	buf_init(&b2);
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "lb1"), "ens3", &b1), 0);
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "lb2"), "ens3", &b2), 0);
	char vrid[64];
	snprintf(vrid, sizeof vrid, "\tvirtual_router_id %u\n", lb_vrid(&m));
	assert_non_null(strstr(b1.data, vrid));
	assert_non_null(strstr(b2.data, vrid));   /* both the same router */
	assert_true(lb_vrid(&m) >= 1 && lb_vrid(&m) <= 255);
	assert_non_null(strstr(b1.data, "\tpriority 150\n"));   /* the first lb host is preferred */
	assert_non_null(strstr(b2.data, "\tpriority 100\n"));
	assert_non_null(strstr(b1.data, "\tunicast_src_ip 10.0.0.5\n\tunicast_peer {\n\t\t10.0.0.6\n\t}\n"));
	assert_non_null(strstr(b2.data, "\tunicast_src_ip 10.0.0.6\n\tunicast_peer {\n\t\t10.0.0.5\n\t}\n"));
	assert_non_null(strstr(b1.data, "\t\t10.0.0.9/24 dev ens3\n"));
	assert_non_null(strstr(b1.data, "\tinterface ens3\n"));
	assert_null(strstr(b1.data, "mcast"));
	assert_non_null(strstr(b1.data, "\tscript \"/usr/bin/pgrep -x haproxy\"\n"));
	assert_non_null(strstr(b1.data, "\ttrack_script {\n\t\tkiln_haproxy\n\t}\n"));
	assert_null(strstr(b1.data, "auth_pass"));
	buf_free(&b1);
	buf_free(&b2);
	/* checked in a namespace holding the interface kiln0 (oracle()) */
	buf_init(&b1);
	buf_init(&b2);
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "lb1"), "kiln0", &b1), 0);
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "lb2"), "kiln0", &b2), 0);
	assert_int_equal(oracle("keepalived", b1.data), 0);
	assert_int_equal(oracle("keepalived", b2.data), 0);
	buf_free(&b1);
	buf_free(&b2);
	model_free(&m);
}

/* With monitoring: HAProxy's exporter on a frontend of its own, on the
 * host's address and MON_PORT_HAPROXY, TLS with client certificates of the
 * deployment CA only, /metrics and nothing else; none without monitoring. */
static void test_haproxy_metrics(void **state)
{
	(void)state;
	struct model m;
	struct buf b;
	struct lb_paths p = test_paths();
	load_ok(HEAD LB2 APP "  lb: {virtual_address: 10.0.0.9}\nmonitoring: {host: app1}\n", &m);
	buf_init(&b);
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb2"), &p, &b), 0);
	char *want = xasprintf("frontend metrics\n"
			       "\t# Prometheus' scrapes (docs/monitoring.md): TLS with this host's certificate and key\n"
			       "\t# (0600); only a client certificate of the deployment CA is accepted\n"
			       "\tmode http\n\tno log\n\tbind 10.0.0.6:8405 ssl crt %s verify required ca-file %s\n"
			       "\thttp-request use-service prometheus-exporter if { path /metrics }\n"
			       "\thttp-request deny\n\n", p.metrics_pem, p.ca);
	assert_non_null(strstr(b.data, want));
	free(want);
	assert_null(strstr(b.data, "10.0.0.9:8405"));   /* each lb host scraped on its own address */
	assert_int_equal(oracle("haproxy", b.data), 0);
	buf_free(&b);
	/* the appliance's paths: the host's pem the role writes, the deployment CA */
	buf_init(&b);
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &lb_paths_default, &b), 0);
	assert_non_null(strstr(b.data, "\tbind 10.0.0.5:8405 ssl crt " LB_METRICS_PEM " verify required ca-file " LB_CA "\n"));
	buf_free(&b);
	/* a metrics pem path HAProxy would split: refused, nothing written */
	struct lb_paths bad = p;
	bad.metrics_pem = "/etc/haproxy/m p.pem";
	buf_init(&b);
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &bad, &b), -EINVAL);
	bad.metrics_pem = NULL;
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &bad, &b), -EINVAL);
	assert_int_equal(b.len, 0);
	model_free(&m);
	/* without monitoring: no metrics frontend, and its path is not needed */
	load_ok(HEAD APP, &m);
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &bad, &b), 0);
	assert_null(strstr(b.data, "frontend metrics"));
	assert_null(strstr(b.data, "8405"));
	assert_null(strstr(b.data, "prometheus-exporter"));
	buf_free(&b);
	model_free(&m);
}

/* kiln-firstboot metrics watches HAProxy, and keepalived with two lb hosts. */
static void test_metrics_units(void **state)
{
	(void)state;
	struct model m;
	struct buf b;
	load_ok(HEAD LB2 APP "  lb: {virtual_address: 10.0.0.9}\nmonitoring: {host: app1}\n", &m);
	buf_init(&b);
	metrics_conf_render(&m, model_find_host(&m, "lb2"), &b);
	assert_non_null(strstr(b.data, "haproxy.service"));
	assert_non_null(strstr(b.data, "keepalived.service"));
	assert_null(strstr(b.data, "nginx.service"));
	buf_free(&b);
	model_free(&m);
	load_ok(HEAD APP "monitoring: {host: app1}\n", &m);
	buf_init(&b);
	metrics_conf_render(&m, model_find_host(&m, "lb1"), &b);
	assert_non_null(strstr(b.data, "haproxy.service"));
	assert_null(strstr(b.data, "keepalived.service"));
	buf_free(&b);
	model_free(&m);
}

static void test_refusals(void **state)
{
	(void)state;
	struct model m;
	struct buf b;
	buf_init(&b);
	load_ok(HEAD APP, &m);
	struct lb_paths p = test_paths();
	/* not an lb host */
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "app1"), &p, &b), -EINVAL);
	/* a path HAProxy would split */
	struct lb_paths bad = p;
	bad.bundle = "/etc/haproxy/my cert.pem";
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &bad, &b), -EINVAL);
	bad = p;
	bad.ca = "";
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &bad, &b), -EINVAL);
	/* one lb host: no keepalived */
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "lb1"), "eth0", &b), -EINVAL);
	/* app hosts on DHCP only: nothing to balance */
	struct host *app1 = (struct host *)model_find_host(&m, "app1"), *app2 = (struct host *)model_find_host(&m, "app2");
	app1->dhcp = app2->dhcp = true;
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &p, &b), -EINVAL);
	/* a health path that is not a plain path (the loader refuses it too) */
	app1->dhcp = app2->dhcp = false;
	m.roles.lb.health_check = xstrdup("/x y");
	assert_int_equal(lb_render_haproxy(&m, model_find_host(&m, "lb1"), &p, &b), -EINVAL);
	model_free(&m);

	load_ok(HEAD LB2 APP "  lb: {virtual_address: 10.0.0.9}\n", &m);
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "app1"), "eth0", &b), -EINVAL);
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "lb1"), "", &b), -EINVAL);
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "lb1"), NULL, &b), -EINVAL);
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "lb1"), "eth0 }", &b), -EINVAL);
	assert_int_equal(lb_render_keepalived(&m, model_find_host(&m, "lb1"), "averyveryverylongname", &b), -EINVAL);
	assert_int_equal(b.len, 0);   /* nothing half-written */
	buf_free(&b);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_haproxy_terminate_one),
		cmocka_unit_test(test_haproxy_passthrough_two),
		cmocka_unit_test(test_haproxy_metrics),
		cmocka_unit_test(test_keepalived),
		cmocka_unit_test(test_metrics_units),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
