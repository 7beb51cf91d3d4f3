/* targets/registry.c: the one list of targets, the names profiles may use,
 * and the seed size check every seed goes through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/log.h"
#include "profiles/profile.h"
#include "targets/target.h"

static char last[2][512];   /* last error, last warning */
static void sink(enum log_level lvl, const char *msg, void *ud)
{
	(void)ud;
	if (lvl == LOG_LVL_ERROR || lvl == LOG_LVL_WARN)
		snprintf(last[lvl == LOG_LVL_WARN], sizeof last[0], "%s", msg);
}

static void test_list(void **state)
{
	(void)state;
	const struct kiln_target *const *all = target_all();
	const char *order[] = { "raw", "esxi", "ec2", "iso", "usb" };
	size_t n = 0;
	for (; all[n]; n++) {
		assert_string_equal(all[n]->name, order[n]);
		assert_ptr_equal(target_find(all[n]->name), all[n]);
		assert_true(all[n]->summary && *all[n]->summary);
		assert_true(!all[n]->seed_max || (all[n]->seed_carrier && all[n]->seed_owner && all[n]->seed_field));
		assert_true(!all[n]->package_role || all[n]->host_seeds);   /* what is packaged is deployed per host */
		/* a medium carries its hosts' seeds: no OUT/<host>.seed beside it */
		assert_true(!all[n]->package_hosts || !all[n]->host_seeds);
	}
	assert_int_equal(n, 5);
	assert_non_null(target_find("iso")->package_hosts);
	assert_non_null(target_find("usb")->package_hosts);
	assert_null(target_find("vmware"));
	assert_null(target_find("raw")->package_role);
	assert_int_equal(target_find("ec2")->seed_max, 16384);
}

static void test_names(void **state)
{
	(void)state;
	const char *const *p = target_profile_names();
	const char *want[] = { "raw", "esxi", "ec2", "iso", "usb", NULL };
	for (size_t i = 0; want[i]; i++)
		assert_string_equal(p[i], want[i]);
	assert_null(p[5]);
	char *s = target_names_join(NULL, ", ", " or ");
	assert_string_equal(s, "raw, esxi, ec2, iso or usb");
	free(s);
	s = target_names_join(target_per_host, ", ", " or ");
	assert_string_equal(s, "iso or usb");
	free(s);
	s = target_names_join(target_packages, "|", "|");
	assert_string_equal(s, "esxi|ec2");
	free(s);
	s = target_names_join(target_signs, ", ", " or ");
	assert_string_equal(s, "esxi");
	free(s);
}

static void test_seed_check(void **state)
{
	(void)state;
	const char *y = "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
			"hosts:\n  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}\n";
	struct model m;
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("p.yaml", y, strlen(y), target_profile_names(), &m, &d), 0);
	log_set_sink(sink, NULL);
	const struct kiln_target *esxi[] = { target_find("esxi"), NULL };
	const struct kiln_target *ec2[] = { target_find("esxi"), target_find("ec2"), NULL };
	/* under every limit: quiet */
	last[0][0] = last[1][0] = 0;
	assert_int_equal(target_seed_check(&m, ec2, "h1", 16384), 0);
	assert_string_equal(last[0], "");
	assert_string_equal(last[1], "");
	/* over a requested target's limit */
	assert_int_equal(target_seed_check(&m, ec2, "h1", 16385), -EFBIG);
	assert_string_equal(last[0], "seed for h1 is 16385 bytes, over EC2's 16384 byte user-data limit; shrink the "
				     "profile (comments, unused sections) or the app certificate: File too large");
	/* over a limit only another target has: a warning */
	last[0][0] = 0;
	assert_int_equal(target_seed_check(&m, esxi, "h1", 20000), 0);
	assert_string_equal(last[0], "");
	assert_string_equal(last[1], "seed for h1 is 20000 bytes: too large for EC2 user data (16384 bytes), fine "
				     "for other targets");
	assert_int_equal(target_seed_check(&m, NULL, "h1", 20000), 0);
	model_free(&m);
	/* the profile targets ec2: refused even when ec2 is not requested */
	char *y2 = NULL;
	assert_true(asprintf(&y2, "%stargets: [ec2]\n", y) > 0);
	assert_int_equal(profile_load_buffer("p.yaml", y2, strlen(y2), target_profile_names(), &m, &d), 0);
	assert_int_equal(target_seed_check(&m, NULL, "h1", 20000), -EFBIG);
	assert_non_null(strstr(last[0], "over EC2's 16384 byte user-data limit (the profile targets ec2); shrink"));
	model_free(&m);
	free(y2);
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_seed_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
