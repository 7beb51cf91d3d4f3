/* profiles/render*: network, firewall and identity files from a hand-built
 * model (tests/unit/render_fixture.h), with nft and netplan as oracles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "profiles/render.h"
#include "tests/unit/render_fixture.h"

static char tmpdir[] = "/tmp/kiln-render-XXXXXX";

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }


static char *nft_of(struct model *m, const char *name)
{
	struct buf b;
	buf_init(&b);
	assert_int_equal(render_nftables(m, fixture_host(m, name), &b), 0);
	return buf_steal(&b);
}

/* The real parser as oracle; as non-root inside a user+net namespace. */
static int nft_check(const char *text)
{
	char *p = path_join(tmpdir, "nftables.conf");
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	char *cmd = xasprintf("%snft -c -f %s >%s.log 2>&1", geteuid() ? "unshare -rn " : "", p, p);
	int rc = system(cmd);
	if (rc != 0) {
		char *cat = xasprintf("cat %s.log >&2", p);
		(void)!system(cat);
		free(cat);
	}
	free(cmd);
	free(p);
	return rc;
}

/* Text of the rule line containing `needle`, or NULL. */
static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)); p++)
		if ((p == text || p[-1] == '\n' || p[-1] == '\t') && (p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void test_nft_data_hosts_accept_only_their_port_from_app(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	char *db = nft_of(m, "db1"), *mi = nft_of(m, "minio1");
	assert_true(has_line(db, "tcp dport 3306 ip saddr @tcp_3306_from counter name \"tcp_3306_accept\" accept"));
	assert_non_null(strstr(db, "set tcp_3306_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 192.168.40.200 }\n"));
	assert_null(strstr(db, "9000"));
	assert_null(strstr(db, "dport { 80, 443 }"));
	assert_null(strstr(db, "192.168.40.192"));   /* nothing for the whole app subnet */
	assert_true(has_line(mi, "tcp dport 9000 ip saddr @tcp_9000_from counter name \"tcp_9000_accept\" accept"));
	assert_non_null(strstr(mi, "elements = { 192.168.40.200 }"));
	assert_null(strstr(mi, "3306"));
	for (const char *t = db; t; t = t == db ? mi : NULL) {
		assert_true(has_line(t, "type filter hook input priority filter; policy drop;"));
		assert_true(has_line(t, "type filter hook forward priority filter; policy drop;"));
		assert_true(has_line(t, "type filter hook output priority filter; policy accept;"));
		assert_true(has_line(t, "tcp dport 22 ip saddr @ssh_from counter name \"ssh_accept\" accept"));
		assert_non_null(strstr(t, "set ssh_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 192.168.40.0/26 }\n"));
		assert_true(has_line(t, "counter name \"input_drop\" limit rate 5/second log prefix \"kiln-drop: \""));
		assert_int_equal(strncmp(t, "#!/usr/sbin/nft -f\n", 19), 0);
		assert_int_equal(nft_check(t), 0);
	}
	free(db);
	free(mi);
	fixture_free(m);
}

static void test_nft_app_serves_web_and_has_no_flows(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	char *app = nft_of(m, "app1");
	assert_true(has_line(app, "tcp dport { 80, 443 } counter name \"web_accept\" accept"));
	assert_null(strstr(app, "3306"));
	assert_null(strstr(app, "set tcp_"));   /* no flow targets app1 */
	assert_null(strstr(app, "set udp_"));
	assert_int_equal(nft_check(app), 0);
	free(app);
	fixture_free(m);
}

static void test_nft_is_deterministic_and_merges_overlaps(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	/* A wider source (the app subnet) swallows the host inside it; a UDP
	 * flow sorts after TCP; a CIDR flow to a single host by name. */
	fx_add_flow(m, EP_SUBNET, "app", EP_HOST, "db1", 3306, PROTO_TCP);
	fx_add_flow(m, EP_CIDR, "10.0.0.0/8", EP_HOST, "db1", 53, PROTO_UDP);
	m->flows[m->n_flows - 1].from.cidr = (struct ipv4_net){ IP4(10, 0, 0, 0), 8 };
	fx_add_flow(m, EP_HOST, "minio1", EP_HOST, "db1", 3306, PROTO_TCP);
	char *a = nft_of(m, "db1"), *b = nft_of(m, "db1");
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "elements = { 192.168.40.192/28, 192.168.40.215 }"));
	assert_non_null(strstr(a, "set udp_53_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 10.0.0.0/8 }"));
	assert_true(strstr(a, "tcp dport 3306") < strstr(a, "udp dport 53"));
	assert_int_equal(nft_check(a), 0);
	free(a);
	free(b);
	fixture_free(m);
}

static void test_nft_dhcp_peer_allowed_by_subnet(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	fixture_host(m, "app1")->dhcp = true;
	fixture_host(m, "app1")->address = 0;
	char *db = nft_of(m, "db1"), *app = nft_of(m, "app1");
	assert_non_null(strstr(db, "set tcp_3306_from {\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = { 192.168.40.192/28 }"));
	assert_true(has_line(app, "udp sport 67 udp dport 68 accept"));
	assert_null(strstr(db, "udp sport 67"));
	assert_int_equal(nft_check(db), 0);
	assert_int_equal(nft_check(app), 0);
	free(db);
	free(app);
	fixture_free(m);
}

static void test_nft_without_ssh_allow_from_closes_ssh(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	free(m->ssh_from[0].name);
	m->n_ssh_from = 0;
	char *db = nft_of(m, "db1");
	assert_null(strstr(db, "dport 22"));
	assert_null(strstr(db, "ssh_from"));
	assert_int_equal(nft_check(db), 0);
	free(db);
	fixture_free(m);
}

static void test_nft_flow_from_unknown_host_fails(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	fx_add_flow(m, EP_HOST, "ghost", EP_HOST, "db1", 1234, PROTO_TCP);
	struct buf b;
	buf_init(&b);
	log_set_sink(quiet, NULL);
	assert_int_equal(render_nftables(m, fixture_host(m, "db1"), &b), -EINVAL);
	free(m->flows[m->n_flows - 1].from.name);
	m->flows[m->n_flows - 1].from.name = xstrdup("db1");
	m->flows[m->n_flows - 1].from.kind = EP_SUBNET;         /* no subnet "db1" */
	assert_int_equal(render_nftables(m, fixture_host(m, "db1"), &b), -EINVAL);
	log_set_sink(NULL, NULL);
	buf_free(&b);
	fixture_free(m);
}

static const char db1_network[] =
	"# Generated by kiln for host db1 of deployment acme; do not edit.\n"
	"# No `ethernets` block in the profile: configure the host's Ethernet NIC,\n"
	"# whatever the hypervisor named it (kiln images have exactly one).\n"
	"[Match]\nType=ether\nName=en* eth*\n\n"
	"[Network]\nAddress=192.168.40.210/28\nGateway=192.168.40.209\nDNS=192.168.40.1\n"
	"Domains=acme.internal\nNTP=192.168.40.1\n";

static void test_network_default_static(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	struct rendered_files f = { 0 };
	assert_int_equal(render_network(m, fixture_host(m, "db1"), &f), 0);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].path, "/etc/systemd/network/10-kiln-primary.network");
	assert_int_equal(f.v[0].mode, 0644);
	assert_string_equal(f.v[0].data, db1_network);
	rendered_files_free(&f);
	fixture_free(m);
}

static void test_network_default_dhcp(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	struct host *h = fixture_host(m, "minio1");
	h->dhcp = true;
	h->address = 0;
	struct rendered_files f = { 0 };
	assert_int_equal(render_network(m, h, &f), 0);
	const char *t = f.v[0].data;
	assert_true(has_line(t, "DHCP=ipv4"));
	assert_true(has_line(t, "UseHostname=no"));
	assert_null(strstr(t, "Address="));
	assert_null(strstr(t, "Gateway="));
	assert_true(has_line(t, "NTP=192.168.40.1"));
	rendered_files_free(&f);
	fixture_free(m);
}

static void test_network_ethernets(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	fixture_add_ethernets(fixture_host(m, "app1"));
	struct rendered_files f = { 0 };
	assert_int_equal(render_network(m, fixture_host(m, "app1"), &f), 0);
	assert_int_equal(f.n, 3);
	const struct rendered_file *link = rendered_files_find(&f, "/etc/systemd/network/10-kiln-lan.link");
	const struct rendered_file *lan = rendered_files_find(&f, "/etc/systemd/network/10-kiln-lan.network");
	const struct rendered_file *mg = rendered_files_find(&f, "/etc/systemd/network/10-kiln-mgmt.network");
	assert_non_null(link);
	assert_non_null(lan);
	assert_non_null(mg);
	assert_null(rendered_files_find(&f, "/etc/systemd/network/10-kiln-mgmt.link"));
	assert_non_null(strstr(link->data, "[Match]\nPermanentMACAddress=52:54:00:12:34:56\n\n[Link]\nName=lan0\nMTUBytes=9000\n"));
	assert_non_null(strstr(lan->data, "[Match]\nPermanentMACAddress=52:54:00:12:34:56\nName=lan0\n"));
	assert_non_null(strstr(lan->data, "[Link]\nMTUBytes=9000\nRequiredForOnline=no\n"));
	assert_non_null(strstr(lan->data, "[Route]\nDestination=0.0.0.0/0\nGateway=192.168.40.193\nMetric=100\n"));
	assert_non_null(strstr(lan->data, "[Route]\nDestination=10.0.0.0/8\nGateway=192.168.40.194\n"));
	assert_null(strstr(lan->data, "Type=ether"));
	assert_non_null(strstr(mg->data, "[Match]\nDriver=vmxnet3\nName=ens*\n\n[Link]\nMACAddress=52:54:00:aa:bb:cc\n"));
	assert_true(has_line(mg->data, "DHCP=ipv4"));
	assert_null(strstr(mg->data, "NTP="));   /* deployment-wide NTP goes on the first only */
	rendered_files_free(&f);
	fixture_free(m);
}

static void test_network_rejects_unsafe_values(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	struct host *h = fixture_host(m, "app1");
	fixture_add_ethernets(h);
	struct rendered_files f = { 0 };
	log_set_sink(quiet, NULL);
	free(h->ethernets[0].id);
	h->ethernets[0].id = xstrdup("../evil");
	assert_int_equal(render_network(m, h, &f), -EINVAL);
	free(h->ethernets[0].id);
	h->ethernets[0].id = xstrdup("mgmt");    /* duplicate id */
	assert_int_equal(render_network(m, h, &f), -EINVAL);
	free(h->ethernets[0].id);
	h->ethernets[0].id = xstrdup("lan");
	free(h->ethernets[1].macaddress);
	h->ethernets[1].macaddress = xstrdup("52:54:00:aa:bb:cc\n[Network]");
	assert_int_equal(render_network(m, h, &f), -EINVAL);
	free(h->ethernets[1].macaddress);
	h->ethernets[1].macaddress = NULL;
	free(h->ethernets[0].routes[1].via);
	h->ethernets[0].routes[1].via = NULL;                   /* a route without via */
	assert_int_equal(render_network(m, h, &f), -EINVAL);
	free(m->ntp[0]);
	m->ntp[0] = xstrdup("pool\nDNS=6.6.6.6");
	assert_int_equal(render_network(m, fixture_host(m, "db1"), &f), -EINVAL);
	log_set_sink(NULL, NULL);
	assert_int_equal(f.n, 0);
	rendered_files_free(&f);
	fixture_free(m);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* INI file -> sorted "Section.Key=Value" lines, without ignored keys. */
static char *ini_semantic(const char *path, const char *const *ignore)
{
	char *text;
	assert_int_equal(read_file(path, 1 << 20, &text, NULL), 0);
	char **lines = NULL;
	size_t n = 0, cap = 0;
	char section[64] = "";
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(l, RENDER_DEPLOYMENT_WIDE_MARK)) {
			strcpy(section, "(kiln-only)");
			continue;
		}
		if (*l == '#' || *l == '\0')
			continue;
		if (!strncmp(section, "(kiln-only)", 11) && *l != '[')
			continue;
		if (*l == '[') {
			snprintf(section, sizeof(section), "%.*s", (int)strcspn(l + 1, "]"), l + 1);
			if (!strcmp(section, "DHCP"))     /* deprecated alias of [DHCPv4] */
				strcpy(section, "DHCPv4");
			continue;
		}
		char *kv = xasprintf("%s.%s", section, l);
		bool skip = false;
		for (const char *const *ig = ignore; *ig; ig++)
			if (!strncmp(kv, *ig, strlen(*ig)) && kv[strlen(*ig)] == '=')
				skip = true;
		if (skip) {
			free(kv);
			continue;
		}
		lines = xgrow(lines, &cap, n + 1, sizeof(*lines));
		lines[n++] = kv;
	}
	qsort(lines, n, sizeof(*lines), str_cmp);
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s\n", lines[i]);
		free(lines[i]);
	}
	free(lines);
	free(text);
	return buf_steal(&b);
}

/* netplan generate on the equivalent YAML writes the same semantic keys;
 * the ignore list is the documented difference (docs/render.md). */
static void test_network_matches_netplan_generate(void **state)
{
	(void)state;
	static const char *const ignore[] = {
		"Network.LinkLocalAddressing", "Link.WakeOnLan", "DHCPv4.UseHostname", NULL };
	struct model *m = fixture_onprem();
	fixture_add_ethernets(fixture_host(m, "app1"));
	struct rendered_files f = { 0 };
	assert_int_equal(render_network(m, fixture_host(m, "app1"), &f), 0);

	char *root = path_join(tmpdir, "netplan-root");
	char *dir = path_join(root, "etc/netplan");
	assert_int_equal(mkdir_p(dir, 0755), 0);
	char *yaml = path_join(dir, "50-kiln.yaml");
	assert_int_equal(write_file_atomic(yaml, fixture_ethernets_netplan, strlen(fixture_ethernets_netplan), 0600), 0);
	char *cmd = xasprintf("netplan generate --root-dir %s 2>&1", root);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(rendered_files_write(&f, root), 0);

	static const char *const pairs[][2] = {
		{ "10-kiln-lan.link", "10-netplan-lan.link" },
		{ "10-kiln-lan.network", "10-netplan-lan.network" },
		{ "10-kiln-mgmt.network", "10-netplan-mgmt.network" },
	};
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char *ours = xasprintf("%s/etc/systemd/network/%s", root, pairs[i][0]);
		char *theirs = xasprintf("%s/run/systemd/network/%s", root, pairs[i][1]);
		char *a = ini_semantic(ours, ignore), *b = ini_semantic(theirs, ignore);
		if (strcmp(a, b))
			fail_msg("%s differs from netplan's %s:\n--- kiln\n%s--- netplan\n%s", pairs[i][0], pairs[i][1], a, b);
		free(a);
		free(b);
		free(ours);
		free(theirs);
	}
	free(cmd);
	free(yaml);
	free(dir);
	free(root);
	rendered_files_free(&f);
	fixture_free(m);
}

static void test_identity_files(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	fixture_host(m, "minio1")->dhcp = true;
	fixture_host(m, "minio1")->address = 0;
	struct rendered_files f = { 0 };
	assert_int_equal(render_host(m, fixture_host(m, "db1"), &f), 0);
	const struct rendered_file *hn = rendered_files_find(&f, "/etc/hostname");
	const struct rendered_file *hosts = rendered_files_find(&f, "/etc/hosts");
	const struct rendered_file *ak = rendered_files_find(&f, "/root/.ssh/authorized_keys");
	assert_string_equal(hn->data, "db1\n");
	assert_true(has_line(hosts->data, "127.0.0.1\tlocalhost"));
	assert_true(has_line(hosts->data, "192.168.40.210\tdb1.acme.internal db1"));
	assert_true(has_line(hosts->data, "192.168.40.200\tapp1.acme.internal app1"));
	assert_null(strstr(hosts->data, "minio1"));      /* DHCP peer: left to DNS */
	assert_true(has_line(hosts->data, "::1\tlocalhost ip6-localhost ip6-loopback"));
	assert_int_equal(ak->mode, 0600);
	assert_string_equal(ak->data, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBz0WbqVm1vXxgkYc6r3XyvNV7lwVYtZ2C4s6fbg2n5G ops@acme\n");
	assert_int_equal(rendered_files_find(&f, "/etc/nftables.conf")->mode, 0755);
	rendered_files_free(&f);

	/* The DHCP host names itself on 127.0.1.1. */
	assert_int_equal(render_host(m, fixture_host(m, "minio1"), &f), 0);
	assert_true(has_line(rendered_files_find(&f, "/etc/hosts")->data, "127.0.1.1\tminio1.acme.internal minio1"));
	rendered_files_free(&f);
	fixture_free(m);
}

static void test_render_host_rejects_bad_names_and_keys(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	struct rendered_files f = { 0 };
	log_set_sink(quiet, NULL);
	free(m->ssh_keys[0]);
	m->ssh_keys[0] = xstrdup("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBz0WbqVm1vXxgkYc6r3XyvNV7lwVYtZ2C4s6fbg2n5G x\n"
				 "ssh-rsa BBBBB3NzaC1yc2EAAAADAQABAAABAQ evil");
	assert_int_equal(render_host(m, fixture_host(m, "db1"), &f), -EINVAL);
	free(m->domain);
	m->domain = xstrdup("acme internal");
	assert_int_equal(render_host(m, fixture_host(m, "db1"), &f), -EINVAL);
	free(m->domain);
	m->domain = xstrdup("acme.internal");
	m->ssh_keys[0][strcspn(m->ssh_keys[0], "\n")] = ' ';
	assert_int_equal(render_host(m, fixture_host(m, "db1"), &f), 0);   /* fixed: renders again */
	rendered_files_free(&f);
	free(m->hosts[0].name);
	m->hosts[0].name = xstrdup("app1\n10.0.0.1 evil");      /* a peer's name reaches /etc/hosts */
	assert_int_equal(render_host(m, fixture_host(m, "db1"), &f), -EINVAL);
	free(m->hosts[0].name);
	m->hosts[0].name = xstrdup("app1");
	fixture_host(m, "db1")->subnet = 7;
	assert_int_equal(render_host(m, fixture_host(m, "db1"), &f), -EINVAL);
	fixture_host(m, "db1")->subnet = 1;
	free(m->dns_search[0]);
	m->dns_search[0] = xstrdup("acme.internal\n[Network]");
	assert_int_equal(render_host(m, fixture_host(m, "db1"), &f), -EINVAL);
	log_set_sink(NULL, NULL);
	assert_int_equal(f.n, 0);
	fixture_free(m);
}

/* Values the loader refuses (profiles/syntax.h), set on the model directly:
 * render_network refuses them too instead of writing them into a file. */
static void test_network_refuses_what_the_loader_refuses(void **state)
{
	(void)state;
	static const struct {
		size_t iface;
		size_t field;   /* 0 id, 1 set-name, 2 match.name, 3 match.driver, 4 address */
		const char *value;
	} bad[] = {
		{ 0, 0, "a/b" }, { 0, 0, "../../etc/x" }, { 1, 0, "" }, { 0, 1, "lan 0" }, { 0, 1, "12" },
		{ 1, 2, "en* eth*" }, { 1, 2, "!eth0" }, { 1, 3, "vmx\nName=*" }, { 0, 4, "10.0.0.1/24\n[Route]" },
	};
	log_set_sink(quiet, NULL);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct model *m = fixture_onprem();
		struct host *h = fixture_host(m, "app1");
		fixture_add_ethernets(h);
		struct ethernet *e = &h->ethernets[bad[i].iface];
		char **field[] = { &e->id, &e->set_name, &e->match_name, &e->match_driver, &e->addresses[0] };
		free(*field[bad[i].field]);
		*field[bad[i].field] = xstrdup(bad[i].value);
		struct rendered_files f = { 0 };
		assert_int_equal(render_network(m, h, &f), -EINVAL);
		assert_int_equal(f.n, 0);
		fixture_free(m);
	}
	/* Without a match, the id is the interface name: it must be one. */
	struct model *m = fixture_onprem();
	struct host *h = fixture_host(m, "app1");
	fixture_add_ethernets(h);
	struct ethernet *e = &h->ethernets[1];
	free(e->match_name);
	free(e->match_driver);
	e->match_name = e->match_driver = NULL;
	free(e->id);
	e->id = xstrdup("a-very-long-interface-id");
	struct rendered_files f = { 0 };
	assert_int_equal(render_network(m, h, &f), -EINVAL);
	free(e->id);
	e->id = xstrdup("eth1");
	assert_int_equal(render_network(m, h, &f), 0);
	assert_non_null(rendered_files_find(&f, "/etc/systemd/network/10-kiln-eth1.network"));
	rendered_files_free(&f);
	fixture_free(m);
	log_set_sink(NULL, NULL);
}

static void test_write_modes_and_private_dirs(void **state)
{
	(void)state;
	struct model *m = fixture_onprem();
	m->n_ssh_keys = 1;
	struct rendered_files f = { 0 };
	assert_int_equal(render_host(m, fixture_host(m, "db1"), &f), 0);
	char *root = path_join(tmpdir, "root");
	assert_int_equal(mkdir_p(root, 0755), 0);
	assert_int_equal(rendered_files_write(&f, root), 0);
	struct stat st;
	char *p = xasprintf("%s/root/.ssh", root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	free(p);
	p = xasprintf("%s/root/.ssh/authorized_keys", root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	free(p);
	p = xasprintf("%s/etc/systemd/network", root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	free(p);
	p = xasprintf("%s/etc/hostname", root);
	char *d;
	assert_int_equal(read_file(p, 100, &d, NULL), 0);
	assert_string_equal(d, "db1\n");
	free(d);
	free(p);
	free(root);
	rendered_files_free(&f);
	fixture_free(m);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf %s", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nft_data_hosts_accept_only_their_port_from_app),
		cmocka_unit_test(test_nft_app_serves_web_and_has_no_flows),
		cmocka_unit_test(test_nft_is_deterministic_and_merges_overlaps),
		cmocka_unit_test(test_nft_dhcp_peer_allowed_by_subnet),
		cmocka_unit_test(test_nft_without_ssh_allow_from_closes_ssh),
		cmocka_unit_test(test_nft_flow_from_unknown_host_fails),
		cmocka_unit_test(test_network_default_static),
		cmocka_unit_test(test_network_default_dhcp),
		cmocka_unit_test(test_network_ethernets),
		cmocka_unit_test(test_network_rejects_unsafe_values),
		cmocka_unit_test(test_network_matches_netplan_generate),
		cmocka_unit_test(test_identity_files),
		cmocka_unit_test(test_render_host_rejects_bad_names_and_keys),
		cmocka_unit_test(test_network_refuses_what_the_loader_refuses),
		cmocka_unit_test(test_write_modes_and_private_dirs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
