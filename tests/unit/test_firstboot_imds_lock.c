/* firstboot/imds_lock: the table that keeps non-root processes away from
 * EC2's instance metadata service, checked by nft itself, alone and
 * appended to a host's rendered ruleset (which begins "flush ruleset"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "firstboot/imds_lock.h"
#include "lib/fileio.h"
#include "lib/spawn.h"
#include "profiles/profile.h"
#include "profiles/render.h"
#include "tmpdir_fixture.h"

/* nft -c (unprivileged: in a user namespace of its own). */
static int nft_check(const char *text)
{
	char *p = path_join(tmpdir, "ruleset.nft");
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0600), 0);
	const char *as_root[] = { "nft", "-c", "-f", p, NULL };
	const char *in_userns[] = { "unshare", "-rn", "nft", "-c", "-f", p, NULL };
	struct buf err;
	buf_init(&err);
	int st = spawn_capture(geteuid() ? in_userns : as_root, NULL, &err, 0);
	if (st != 0)
		fprintf(stderr, "nft -c: %.*s\n", (int)err.len, err.data ? err.data : "");
	buf_free(&err);
	free(p);
	return st;
}

static void test_rejects_non_root_sockets_to_both_imds_addresses(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	imds_lock_rules(&b);
	assert_non_null(strstr(b.data, "table inet " IMDS_LOCK_TABLE " {"));
	assert_non_null(strstr(b.data, "type filter hook output priority filter; policy accept;"));
	assert_non_null(strstr(b.data, "ip daddr 169.254.169.254 meta skuid != 0 counter name \"refused\" reject with icmpx type admin-prohibited\n"));
	assert_non_null(strstr(b.data, "ip6 daddr fd00:ec2::254 meta skuid != 0 counter name \"refused\" reject with icmpx type admin-prohibited\n"));
	assert_null(strstr(b.data, "flush"));   /* never touches the host's own tables */
	assert_int_equal(nft_check(b.data), 0);
	buf_free(&b);
}

static void test_appended_to_a_rendered_ruleset_it_still_loads(void **state)
{
	(void)state;
	/* Every host of the EC2 example deployment, where the agent adds it. */
	struct model m = { 0 };
	struct diags d = { 0 };
	assert_int_equal(profile_load_file("profiles/examples/ec2.yaml", NULL, &m, &d), 0);
	assert_true(m.n_hosts >= 3);
	for (size_t i = 0; i < m.n_hosts; i++) {
		struct buf b;
		buf_init(&b);
		assert_int_equal(render_nftables(&m, &m.hosts[i], &b), 0);
		imds_lock_rules(&b);
		assert_int_equal(nft_check(b.data), 0);
		buf_free(&b);
	}
	model_free(&m);
	diags_free(&d);
}

static void test_a_broken_table_is_caught_by_the_oracle(void **state)
{
	(void)state;
	/* The check above can fail: nft refuses a rule it cannot parse. */
	struct buf b;
	buf_init(&b);
	imds_lock_rules(&b);
	char *p = strstr(b.data, "skuid");
	memcpy(p, "skuiX", 5);
	assert_int_not_equal(nft_check(b.data), 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rejects_non_root_sockets_to_both_imds_addresses),
		cmocka_unit_test(test_appended_to_a_rendered_ruleset_it_still_loads),
		cmocka_unit_test(test_a_broken_table_is_caught_by_the_oracle),
	};
	return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
