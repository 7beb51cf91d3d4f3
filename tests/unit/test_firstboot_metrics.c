/* firstboot/metrics.c: the metrics conf the step writes (rendered per host
 * from the profile, read back strictly), the textfile written from what was
 * collected (exact text, and promtool's linter as oracle), and the parsers
 * of nft's counter and nginx's stub_status. */
#include "tests/unit/syntax_cases.h"
#include <errno.h>
#include "firstboot/metrics.h"
#include "profiles/profile.h"

static const char profile[] =
	"kiln: 1\ndeployment: {name: watch, domain: w.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
	"hosts:\n  - {name: db1, role: mysql, subnet: a, address: 10.0.0.10}\n"
	"  - {name: s3, role: minio, subnet: a, address: 10.0.0.11}\n"
	"  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
	"roles:\n  app: {service: {exec: /bin/true, port: 8080}}\n"
	"  minio: {buckets: [{name: audit}]}\n"
	"monitoring: {host: s3, app_health: /healthz, archive_drops: {bucket: audit}}\n";

static void load(struct model *m)
{
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("p.yaml", profile, strlen(profile), NULL, m, &d), 0);
	diags_free(&d);
}

static void conf_of(const struct model *m, const char *host, struct metrics_conf *c)
{
	struct buf b;
	const char *why;
	buf_init(&b);
	metrics_conf_render(m, model_find_host(m, host), &b);
	assert_int_equal(metrics_conf_parse(b.data, b.len, c, &why), 0);
	buf_free(&b);
}

static bool has_unit(const struct metrics_conf *c, const char *u)
{
	for (size_t i = 0; i < c->n_units; i++)
		if (!strcmp(c->units[i], u))
			return true;
	return false;
}

static void test_conf_per_host(void **state)
{
	(void)state;
	struct model m;
	struct metrics_conf c;
	load(&m);
	conf_of(&m, "db1", &c);
	assert_string_equal(c.deployment, "watch");
	assert_true(has_unit(&c, "mariadb.service") && has_unit(&c, "prometheus-mysqld-exporter.service") &&
		    has_unit(&c, "systemd-journal-upload.service") && has_unit(&c, "prometheus-node-exporter.service"));
	assert_false(has_unit(&c, "prometheus.service"));
	assert_null(c.status_page);
	assert_null(c.app_health);
	assert_null(c.archive_bucket);
	metrics_conf_free(&c);
	m.roles.mysql.engine = MYSQL_ENGINE_MYSQL;   /* MySQL 8.4's unit instead */
	conf_of(&m, "db1", &c);
	assert_true(has_unit(&c, "mysql.service") && !has_unit(&c, "mariadb.service"));
	metrics_conf_free(&c);
	m.roles.mysql.engine = MYSQL_ENGINE_MARIADB;
	conf_of(&m, "s3", &c);   /* the monitoring host */
	assert_true(has_unit(&c, "minio.service") && has_unit(&c, "prometheus.service") &&
		    has_unit(&c, "prometheus-alertmanager.service") && has_unit(&c, "systemd-journal-remote.socket"));
	assert_false(has_unit(&c, "systemd-journal-upload.service"));
	assert_string_equal(c.status_page, "https://10.0.0.11:9090");
	assert_string_equal(c.archive_bucket, "audit");
	assert_string_equal(c.archive_endpoint, "http://10.0.0.11:9000");
	metrics_conf_free(&c);
	conf_of(&m, "app1", &c);
	assert_true(has_unit(&c, "nginx.service") && has_unit(&c, "kiln-app.service"));
	assert_string_equal(c.app_health, "http://127.0.0.1:8080/healthz");
	assert_string_equal(c.nginx_status, "http://127.0.0.1:8081/nginx_status");
	metrics_conf_free(&c);
	model_free(&m);
}

static void test_conf_refused(void **state)
{
	(void)state;
	static const struct { const char *text, *why; } bad[] = {
		{ "unit=nginx.service\n", "names no deployment" },
		{ "deployment=w\nfoo=bar\n", "unknown key" },
		{ "deployment=w\ndeployment=w\n", "appears twice" },
		{ "deployment=W!\n", "not what its key takes" },
		{ "deployment=w\nunit=../../x\n", "not a systemd service or socket" },
		{ "deployment=w\nunit=nginx\n", "not a systemd service or socket" },
		{ "deployment=w\napp_health=http://10.0.0.1:80/x\n", "not what its key takes" },
		{ "deployment=w\napp_health=http://127.0.0.1:80/a b\n", "not what its key takes" },
		{ "deployment=w\nstatus_page=http://10.0.0.1:9090\n", "not what its key takes" },
		{ "deployment=w\nnothing\n", "not key=value" },
		{ "deployment=w", "no line break" },
		{ "deployment=w\narchive_bucket=Not_A_Bucket\n", "not what its key takes" },
		{ "deployment=w\narchive_endpoint=ftp://10.0.0.1/\n", "not what its key takes" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct metrics_conf c;
		const char *why = NULL;
		assert_int_equal(metrics_conf_parse(bad[i].text, strlen(bad[i].text), &c, &why), -EBADMSG);
		if (!why || !strstr(why, bad[i].why))
			print_error("%s: got %s\n", bad[i].text, why ? why : "(none)");
		assert_non_null(strstr(why, bad[i].why));
	}
	struct buf many;
	buf_init(&many);
	buf_puts(&many, "deployment=w\n");
	for (int i = 0; i <= METRICS_MAX_UNITS; i++)
		buf_printf(&many, "unit=u%d.service\n", i);
	struct metrics_conf c;
	const char *why;
	assert_int_equal(metrics_conf_parse(many.data, many.len, &c, &why), -EBADMSG);
	assert_non_null(strstr(why, "too many units"));
	assert_int_equal(metrics_conf_parse("deployment=w\n\0x\n", 16, &c, &why), -EBADMSG);
	assert_non_null(strstr(why, "NUL"));
	buf_free(&many);
}

static const char expected[] =
	"# HELP kiln_metrics_timestamp_seconds When kiln-firstboot metrics last wrote this file.\n"
	"# TYPE kiln_metrics_timestamp_seconds gauge\n"
	"kiln_metrics_timestamp_seconds 1700000000\n"
	"# HELP kiln_firstboot_ready 1 when every first-boot step is over (kiln-firstboot status).\n"
	"# TYPE kiln_firstboot_ready gauge\n"
	"kiln_firstboot_ready 0\n"
	"# HELP kiln_firstboot_seed_serial Serial of the last seed applied.\n"
	"# TYPE kiln_firstboot_seed_serial gauge\n"
	"kiln_firstboot_seed_serial 7\n"
	"# HELP kiln_firstboot_step_state 1 for the state each first-boot step is in, 0 for the others.\n"
	"# TYPE kiln_firstboot_step_state gauge\n"
	"kiln_firstboot_step_state{step=\"seed\",state=\"pending\"} 0\n"
	"kiln_firstboot_step_state{step=\"seed\",state=\"running\"} 0\n"
	"kiln_firstboot_step_state{step=\"seed\",state=\"done\"} 1\n"
	"kiln_firstboot_step_state{step=\"seed\",state=\"failed\"} 0\n"
	"kiln_firstboot_step_state{step=\"seed\",state=\"skipped\"} 0\n"
	"kiln_firstboot_step_state{step=\"ro\\\"le\",state=\"pending\"} 0\n"
	"kiln_firstboot_step_state{step=\"ro\\\"le\",state=\"running\"} 0\n"
	"kiln_firstboot_step_state{step=\"ro\\\"le\",state=\"done\"} 0\n"
	"kiln_firstboot_step_state{step=\"ro\\\"le\",state=\"failed\"} 1\n"
	"kiln_firstboot_step_state{step=\"ro\\\"le\",state=\"skipped\"} 0\n"
	"# HELP kiln_tls_cert_not_after_timestamp_seconds When each certificate under /etc/kiln/tls expires.\n"
	"# TYPE kiln_tls_cert_not_after_timestamp_seconds gauge\n"
	"kiln_tls_cert_not_after_timestamp_seconds{file=\"ca.pem\"} 2000000000\n"
	"# HELP kiln_nft_input_drop_packets_total Packets the firewall dropped (nft counter inet filter input_drop).\n"
	"# TYPE kiln_nft_input_drop_packets_total counter\n"
	"kiln_nft_input_drop_packets_total 12\n"
	"# HELP kiln_nft_input_drop_bytes_total Bytes of those packets.\n"
	"# TYPE kiln_nft_input_drop_bytes_total counter\n"
	"kiln_nft_input_drop_bytes_total 624\n"
	"# HELP kiln_service_active 1 when the unit is active (systemctl is-active).\n"
	"# TYPE kiln_service_active gauge\n"
	"kiln_service_active{unit=\"nginx.service\"} 1\n"
	"kiln_service_active{unit=\"kiln-app.service\"} 0\n"
	"# HELP kiln_app_health_up 1 when the app's health URL answers 2xx.\n"
	"# TYPE kiln_app_health_up gauge\n"
	"kiln_app_health_up 0\n"
	"# HELP kiln_nginx_up 1 when nginx answers its local status page.\n"
	"# TYPE kiln_nginx_up gauge\n"
	"kiln_nginx_up 1\n"
	"# HELP kiln_nginx_connections_active nginx's active client connections.\n"
	"# TYPE kiln_nginx_connections_active gauge\n"
	"kiln_nginx_connections_active 3\n"
	"# HELP kiln_nginx_requests_total Requests nginx has served.\n"
	"# TYPE kiln_nginx_requests_total counter\n"
	"kiln_nginx_requests_total 9\n";

static void test_textfile(void **state)
{
	(void)state;
	struct status st = { 0 };
	st.seed_serial = 7;
	status_set(&st, "seed", STEP_DONE, NULL);
	status_set(&st, "ro\"le", STEP_FAILED, "a reason never shown");
	struct metrics_cert cert = { "ca.pem", 2000000000 };
	struct metrics_conf conf = { .deployment = "w", .units = { "nginx.service", "kiln-app.service" }, .n_units = 2 };
	struct metrics in = { .now = 1700000000, .status = &st, .certs = &cert, .n_certs = 1, .have_drops = true,
			      .drop_packets = 12, .drop_bytes = 624, .conf = &conf, .unit_active = { true, false },
			      .have_app = true, .app_up = false, .have_nginx = true, .nginx_up = true, .nginx_active = 3,
			      .nginx_requests = 9 };
	struct buf b;
	buf_init(&b);
	metrics_render(&in, &b);
	assert_string_equal(b.data, expected);
	assert_null(strstr(b.data, "a reason never shown"));
	char *out = NULL;
	int rc = oracle("which promtool >/dev/null", "kiln.prom", b.data, "promtool check metrics < %s", &out);
	if (rc >= 0) {
		if (rc != 0)
			print_error("%s", out);
		assert_int_equal(rc, 0);
	}
	free(out);
	buf_free(&b);
	/* no status file yet: not ready, no steps */
	struct metrics none = { .now = 1 };
	metrics_render(&none, &b);
	assert_non_null(strstr(b.data, "\nkiln_firstboot_ready 0\n"));
	assert_null(strstr(b.data, "kiln_firstboot_step_state"));
	buf_free(&b);
	status_free(&st);
}

/* A MySQL primary's backup runs: when each kind last ended and whether it
 * succeeded; nothing of them without backup.json, and no reason text. */
static void test_backup_runs(void **state)
{
	(void)state;
	struct status bk = { 0 };
	status_set(&bk, "backup-full", STEP_DONE, "db1/full/x.kbk, 1.0 MiB in 1 s");
	status_set(&bk, "backup-binlogs", STEP_FAILED, "uploading: HTTP 403 \"AccessDenied\"");
	bk.steps[0].updated = 1700000000;
	bk.steps[1].updated = 1700000300;
	struct metrics in = { .now = 1700000400, .backups = &bk };
	struct buf b;
	buf_init(&b);
	metrics_render(&in, &b);
	assert_non_null(strstr(b.data,
		"# HELP kiln_backup_last_run_timestamp_seconds When the last backup run of each kind ended (kiln-firstboot backup).\n"
		"# TYPE kiln_backup_last_run_timestamp_seconds gauge\n"
		"kiln_backup_last_run_timestamp_seconds{kind=\"full\"} 1700000000\n"
		"kiln_backup_last_run_timestamp_seconds{kind=\"binlogs\"} 1700000300\n"
		"# HELP kiln_backup_last_run_success 1 when the last backup run of that kind succeeded.\n"
		"# TYPE kiln_backup_last_run_success gauge\n"
		"kiln_backup_last_run_success{kind=\"full\"} 1\n"
		"kiln_backup_last_run_success{kind=\"binlogs\"} 0\n"));
	assert_null(strstr(b.data, "AccessDenied"));
	buf_free(&b);
	status_free(&bk);
	/* only one kind run so far: only its rows */
	status_set(&bk, "backup-full", STEP_FAILED, "x");
	buf_init(&b);
	metrics_render(&in, &b);
	assert_non_null(strstr(b.data, "kiln_backup_last_run_success{kind=\"full\"} 0\n"));
	assert_null(strstr(b.data, "binlogs"));
	buf_free(&b);
	status_free(&bk);
	/* none */
	struct metrics none = { .now = 1 };
	buf_init(&b);
	metrics_render(&none, &b);
	assert_null(strstr(b.data, "kiln_backup"));
	buf_free(&b);
}

/* A MySQL replica: up when both threads run without error, its lag when
 * the server knows it; down (and no lag) when the state could not be read;
 * nothing on a host that is no replica. No error text. */
static void test_replica(void **state)
{
	(void)state;
	struct metrics in = { .now = 1, .have_replica = true, .replica_read = true };
	in.replica = (struct mysql_replica_status){ .configured = true, .io_running = "Yes", .sql_running = "Yes",
						    .seconds_behind = 7 };
	struct buf b;
	buf_init(&b);
	metrics_render(&in, &b);
	assert_non_null(strstr(b.data, "# TYPE kiln_mysql_replica_up gauge\nkiln_mysql_replica_up 1\n"));
	assert_non_null(strstr(b.data, "# TYPE kiln_mysql_replica_seconds_behind_master gauge\n"
				       "kiln_mysql_replica_seconds_behind_master 7\n"));
	buf_free(&b);
	in.replica = (struct mysql_replica_status){ .configured = true, .io_running = "Connecting", .sql_running = "Yes",
						    .seconds_behind = -1, .last_io_errno = 2003,
						    .last_io_error = "error connecting to master" };
	buf_init(&b);
	metrics_render(&in, &b);
	assert_non_null(strstr(b.data, "kiln_mysql_replica_up 0\n"));
	assert_null(strstr(b.data, "seconds_behind"));
	assert_null(strstr(b.data, "error connecting"));
	buf_free(&b);
	in.replica_read = false;
	in.replica.seconds_behind = 3;
	buf_init(&b);
	metrics_render(&in, &b);
	assert_non_null(strstr(b.data, "kiln_mysql_replica_up 0\n"));
	assert_null(strstr(b.data, "seconds_behind"));
	buf_free(&b);
	struct metrics none = { .now = 1 };
	buf_init(&b);
	metrics_render(&none, &b);
	assert_null(strstr(b.data, "kiln_mysql_replica"));
	buf_free(&b);
}

static void test_parsers(void **state)
{
	(void)state;
	uint64_t p = 0, y = 0;
	assert_int_equal(metrics_parse_nft_counter("table inet filter {\n\tcounter input_drop {\n\t\tpackets 12 bytes 624\n\t}\n}\n",
						   &p, &y), 0);
	assert_int_equal(p, 12);
	assert_int_equal(y, 624);
	assert_int_equal(metrics_parse_nft_counter("table inet filter {\n\tcounter ssh_accept {\n\t\tpackets 1 bytes 2\n", &p, &y),
			 -EBADMSG);
	assert_int_equal(metrics_parse_nft_counter("counter input_drop { packets x bytes 2 }", &p, &y), -EBADMSG);
	assert_int_equal(metrics_parse_nft_counter("counter input_drop { packets 99999999999999999999999 bytes 2 }", &p, &y),
			 -EBADMSG);

	uint64_t a = 0, r = 0;
	assert_int_equal(metrics_parse_stub_status("Active connections: 3 \nserver accepts handled requests\n 5 5 9 \n"
						   "Reading: 0 Writing: 1 Waiting: 2 \n", &a, &r), 0);
	assert_int_equal(a, 3);
	assert_int_equal(r, 9);
	assert_int_equal(metrics_parse_stub_status("Active connections: 3 \n", &a, &r), -EBADMSG);
	assert_int_equal(metrics_parse_stub_status("<html>502 Bad Gateway</html>", &a, &r), -EBADMSG);
	assert_int_equal(metrics_parse_stub_status("Active connections: 1\nserver accepts handled requests\n 5 5\n", &a, &r),
			 -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_per_host),
		cmocka_unit_test(test_conf_refused),
		cmocka_unit_test(test_textfile),
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_backup_runs),
		cmocka_unit_test(test_replica),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
