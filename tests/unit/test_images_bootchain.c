/* images/bootchain.c: the grub.cfg text, checked by GRUB's own parser
 * (grub-script-check) as the oracle, and its refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include "images/bootchain.h"
#include "lib/fileio.h"
#include "image_util.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = make_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(dir);
	free(dir);
	log_set_sink(NULL, NULL);
	return 0;
}

/* grub-script-check accepts text (exit 0). */
static void grub_parses(const char *text)
{
	char *p = xasprintf("%s/grub.cfg", dir);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0644), 0);
	int rc;
	char *out = run_cmd(&rc, "grub-script-check '%s' 2>&1", p);
	if (rc != 0)
		fail_msg("grub-script-check: %s\n%s", out, text);
	free(out);
	free(p);
}

static void test_cfg(void **state)
{
	(void)state;
	struct bootchain_entry e = { .title = "Debian (kiln o'brien/app {x} $y)", .root_partuuid = "0a1b-uuid",
				     .cmdline_extra = "  console=tty0   console=ttyS0,115200 a;b ",
				     .esp_volume_id = 0x0000ABCDu };
	char *cfg = NULL;
	assert_int_equal(bootchain_grub_cfg(&e, &cfg), 0);
	grub_parses(cfg);
	assert_non_null(strstr(cfg, "set timeout=0\n"));
	assert_non_null(strstr(cfg, "search --no-floppy --fs-uuid --set=root 0000-abcd\n"));
	assert_non_null(strstr(cfg, "menuentry 'Debian (kiln o'\\''brien/app {x} $y)' {\n"));
	assert_non_null(strstr(cfg, "\tlinux /kiln/vmlinuz 'root=PARTUUID=0a1b-uuid' 'rw' 'console=tty0' "
				    "'console=ttyS0,115200' 'a;b'\n\tinitrd /kiln/initrd.img\n}\n"));
	free(cfg);

	e.cmdline_extra = NULL;
	assert_int_equal(bootchain_grub_cfg(&e, &cfg), 0);
	grub_parses(cfg);
	assert_non_null(strstr(cfg, "'rw'\n\tinitrd"));
	free(cfg);
}

static void test_fat_uuid(void **state)
{
	(void)state;
	char u[10];
	bootchain_fat_uuid(0xDEADBEEFu, u);
	assert_string_equal(u, "dead-beef");
	bootchain_fat_uuid(0x12u, u);
	assert_string_equal(u, "0000-0012");
}

static void refuse(const char *extra, const char *title, const char *msg)
{
	struct bootchain_entry e = { .title = title, .root_partuuid = "u", .cmdline_extra = extra };
	char *cfg = NULL;
	capture_log();
	assert_int_equal(bootchain_grub_cfg(&e, &cfg), -EINVAL);
	assert_null(cfg);
	if (!strstr(last_error, msg))
		fail_msg("error \"%s\" lacks \"%s\"", last_error, msg);
	log_set_sink(NULL, NULL);
}

static void test_refusals(void **state)
{
	(void)state;
	refuse("a=\"b c\"", "t", "GRUB cannot pass a quote or backslash");
	refuse("a='b'", "t", "GRUB cannot pass a quote or backslash");
	refuse("a=b\\c", "t", "GRUB cannot pass a quote or backslash");
	refuse("quiet\ninitrd /evil", "t", "control character");
	refuse("quiet\x7f", "t", "control character");
	refuse("quiet", "t\n}\nmenuentry evil {", "title contains a control character");
	assert_int_equal(bootchain_check_cmdline(NULL), 0);
	assert_int_equal(bootchain_check_cmdline("console=ttyS0 $x;{}"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cfg, setup, teardown),
		cmocka_unit_test(test_fat_uuid),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
