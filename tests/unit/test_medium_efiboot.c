/* medium/efiboot.c: the installed disk's ESP found by type (libblkid, on a
 * mini image laid out by kiln), the EFI_LOAD_OPTION bytes as the UEFI
 * specification lays them out (HD() short-form node with the partition GUID
 * in EFI byte order, File() node, end node), and Boot####, BootOrder and
 * BootNext written into an efivarfs-like directory (4 attribute bytes
 * first); the SecureBoot variable and the kernel's lockdown mode read back
 * as the installer reports them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include "lib/fileio.h"
#include "medium/efiboot.h"
#include "image_util.h"
#include "mini_image.h"

static struct mini_dir md;

static int setup(void **state)
{
	(void)state;
	mini_dir_make(&md, 128, "app", 1, 3);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mini_dir_done(&md);
	return 0;
}

static uint64_t le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void test_find_esp(void **state)
{
	(void)state;
	int fd = open(md.img, O_RDONLY | O_CLOEXEC);
	struct efi_esp esp;
	assert_int_equal(efi_find_esp(fd, &esp), 0);
	close(fd);
	assert_int_equal(esp.partno, 1);
	assert_true(esp.start == 2048);               /* 1 MiB in 512-byte sectors */
	assert_true(esp.size == (40u << 20) / 512);
	int st;
	char *out = run_cmd(&st, "sfdisk --part-uuid '%s' 1", md.img);
	assert_int_equal(st, 0);
	assert_true(strncasecmp(out, esp.uuid, 36) == 0);
	free(out);
	/* no ESP: an empty file */
	char *blank = xasprintf("%s/blank", md.dir);
	make_sparse(blank, 1 << 20);
	fd = open(blank, O_RDONLY | O_CLOEXEC);
	assert_int_equal(efi_find_esp(fd, &esp), -ENOENT);
	close(fd);
	free(blank);
}

static void test_load_option(void **state)
{
	(void)state;
	struct efi_esp esp = { .partno = 1, .start = 2048, .size = 81920, .uuid = "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9" };
	struct buf b;
	buf_init(&b);
	assert_int_equal(efi_load_option(&esp, "kiln db1", &b), 0);
	const uint8_t *p = (const uint8_t *)b.data;
	assert_int_equal(le(p, 4), 1);                     /* LOAD_OPTION_ACTIVE */
	size_t path_len = le(p + 4, 2);
	/* description, UCS-2 and terminated */
	static const char desc[] = "kiln db1";
	for (size_t i = 0; i <= strlen(desc); i++)
		assert_int_equal(le(p + 6 + 2 * i, 2), (uint8_t)desc[i]);
	const uint8_t *dp = p + 6 + 2 * (strlen(desc) + 1);
	assert_int_equal(b.len, (size_t)(dp - p) + path_len);
	/* HD(1,GPT,guid,0x800,0x14000) */
	assert_int_equal(dp[0], 4);
	assert_int_equal(dp[1], 1);
	assert_int_equal(le(dp + 2, 2), 42);
	assert_int_equal(le(dp + 4, 4), 1);
	assert_int_equal(le(dp + 8, 8), 2048);
	assert_int_equal(le(dp + 16, 8), 81920);
	static const uint8_t sig[16] = { 0x3d, 0x2c, 0x1b, 0x0a, 0x5f, 0x4e, 0x71, 0x60,
					 0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7, 0xe8, 0xf9 };
	assert_memory_equal(dp + 24, sig, 16);
	assert_int_equal(dp[40], 2);                      /* GPT */
	assert_int_equal(dp[41], 2);                      /* GUID signature */
	/* File(\EFI\BOOT\BOOTX64.EFI) */
	const uint8_t *fp = dp + 42;
	static const char file[] = "\\EFI\\BOOT\\BOOTX64.EFI";
	assert_int_equal(fp[0], 4);
	assert_int_equal(fp[1], 4);
	assert_int_equal(le(fp + 2, 2), 4 + 2 * sizeof file);
	for (size_t i = 0; i < sizeof file; i++)
		assert_int_equal(le(fp + 4 + 2 * i, 2), (uint8_t)file[i]);
	const uint8_t *end = fp + 4 + 2 * sizeof file;
	assert_int_equal(end[0], 0x7f);
	assert_int_equal(end[1], 0xff);
	assert_int_equal(le(end + 2, 2), 4);
	assert_int_equal(end + 4 - dp, path_len);
	buf_free(&b);
	struct efi_esp bad = esp;
	strcpy(bad.uuid, "not-a-guid");
	buf_init(&b);
	assert_int_equal(efi_load_option(&bad, "x", &b), -EINVAL);
	buf_free(&b);
}

static void put_var(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char *p = xasprintf("%s/%s-" EFI_GLOBAL_GUID, dir, name);
	uint8_t b[64] = { 7, 0, 0, 0 };
	memcpy(b + 4, data, len);
	assert_int_equal(write_file_atomic(p, b, len + 4, 0644), 0);
	free(p);
}

static void get_var(const char *dir, const char *name, uint8_t *out, size_t *len)
{
	char *p = xasprintf("%s/%s-" EFI_GLOBAL_GUID, dir, name), *t;
	size_t n;
	assert_int_equal(read_file(p, 65536, &t, &n), 0);
	assert_true(n >= 4);
	assert_int_equal(le((const uint8_t *)t, 4), 7);   /* NV | BS | RT */
	memcpy(out, t + 4, n - 4);
	*len = n - 4;
	free(t);
	free(p);
}

static void test_boot_first(void **state)
{
	(void)state;
	char *vars = xasprintf("%s/efivars", md.dir);
	assert_int_equal(mkdir_p(vars, 0755), 0);
	static const uint8_t opt[] = { 1, 0, 0, 0 };
	put_var(vars, "Boot0000", opt, sizeof opt);
	put_var(vars, "Boot0001", opt, sizeof opt);
	static const uint8_t order[] = { 1, 0, 0, 0 };   /* Boot0001, Boot0000 */
	put_var(vars, "BootOrder", order, sizeof order);
	struct efi_esp esp = { .partno = 1, .start = 2048, .size = 81920, .uuid = "0A1B2C3D-4E5F-6071-8293-A4B5C6D7E8F9" };
	unsigned num;
	char why[256] = "";
	assert_int_equal(efi_boot_first(vars, &esp, "kiln db1", &num, why, sizeof why), 0);
	assert_int_equal(num, 2);
	uint8_t b[4096];
	size_t n;
	get_var(vars, "BootOrder", b, &n);
	assert_int_equal(n, 6);
	assert_int_equal(le(b, 2), 2);
	assert_int_equal(le(b + 2, 2), 1);
	assert_int_equal(le(b + 4, 2), 0);
	get_var(vars, "BootNext", b, &n);
	assert_int_equal(n, 2);
	assert_int_equal(le(b, 2), 2);
	get_var(vars, "Boot0002", b, &n);
	struct buf want;
	buf_init(&want);
	efi_load_option(&esp, "kiln db1", &want);
	assert_int_equal(n, want.len);
	assert_memory_equal(b, want.data, n);
	buf_free(&want);
	/* again: a new entry first, the previous one kept once */
	assert_int_equal(efi_boot_first(vars, &esp, "kiln db1", &num, why, sizeof why), 0);
	assert_int_equal(num, 3);
	get_var(vars, "BootOrder", b, &n);
	assert_int_equal(n, 8);
	assert_int_equal(le(b, 2), 3);
	assert_int_equal(le(b + 2, 2), 2);
	/* no efivars: said so */
	assert_int_equal(efi_boot_first("/nonexistent/efivars", &esp, "x", &num, why, sizeof why), -ENOENT);
	assert_non_null(strstr(why, "was this booted with UEFI?"));
	free(vars);
}

static void test_secure_boot(void **state)
{
	(void)state;
	char *vars = xasprintf("%s/sbvars", md.dir);
	assert_int_equal(mkdir_p(vars, 0755), 0);
	assert_int_equal(efi_secure_boot(vars), -ENOENT);   /* no variable: not UEFI, or no Secure Boot */
	static const uint8_t on = 1, off = 0, bad = 2, two[] = { 1, 1 };
	put_var(vars, "SecureBoot", &on, 1);
	assert_int_equal(efi_secure_boot(vars), 1);
	put_var(vars, "SecureBoot", &off, 1);
	assert_int_equal(efi_secure_boot(vars), 0);
	put_var(vars, "SecureBoot", &bad, 1);
	assert_int_equal(efi_secure_boot(vars), -EBADMSG);
	put_var(vars, "SecureBoot", two, 2);
	assert_int_equal(efi_secure_boot(vars), -EBADMSG);
	put_var(vars, "SecureBoot", &on, 0);   /* attributes only */
	assert_int_equal(efi_secure_boot(vars), -EBADMSG);
	char *short_var = xasprintf("%s/SecureBoot-" EFI_GLOBAL_GUID, vars);
	assert_int_equal(write_file_atomic(short_var, "\x06", 1, 0644), 0);   /* attributes cut short */
	assert_int_equal(efi_secure_boot(vars), -EBADMSG);
	free(short_var);
	free(vars);

	char m[16];
	assert_int_equal(efi_lockdown_mode("none [integrity] confidentiality\n", m, sizeof m), 0);
	assert_string_equal(m, "integrity");
	assert_int_equal(efi_lockdown_mode("[none] integrity confidentiality\n", m, sizeof m), 0);
	assert_string_equal(m, "none");
	assert_int_equal(efi_lockdown_mode("none integrity confidentiality\n", m, sizeof m), -EBADMSG);
	assert_int_equal(efi_lockdown_mode("none [] x", m, sizeof m), -EBADMSG);
	assert_int_equal(efi_lockdown_mode("[integrity", m, sizeof m), -EBADMSG);
	assert_int_equal(efi_lockdown_mode("[Int3grity]", m, sizeof m), -EBADMSG);
	assert_int_equal(efi_lockdown_mode("[confidentiality]", m, 8), -EBADMSG);   /* too long for out */
	assert_int_equal(efi_lockdown_mode("", m, sizeof m), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_esp),
		cmocka_unit_test(test_load_option),
		cmocka_unit_test(test_boot_first),
		cmocka_unit_test(test_secure_boot),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
