/* lib/json.c: json_str always writes valid UTF-8 JSON that libyaml (kiln's
 * JSON reader: status.json, tests) reads back as the same text. Found by
 * fuzz_status: a step reason with bytes that were not UTF-8 made
 * status.json unreadable, and the agent then forgot its seed serial. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "lib/buf.h"
#include "lib/json.h"

static char *json_of(const char *s)
{
	struct buf b;
	buf_init(&b);
	json_str(&b, s);
	return buf_steal(&b);
}

/* libyaml's reading of a JSON string literal; NULL if it refuses it. */
static char *yaml_reads(const char *lit)
{
	yaml_parser_t p;
	yaml_document_t d;
	char *out = NULL;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)lit, strlen(lit));
	if (yaml_parser_load(&p, &d)) {
		yaml_node_t *n = yaml_document_get_root_node(&d);
		if (n && n->type == YAML_SCALAR_NODE)
			out = strdup((const char *)n->data.scalar.value);
		yaml_document_delete(&d);
	}
	yaml_parser_delete(&p);
	return out;
}

static void round_trips(const char *s, const char *want)
{
	char *lit = json_of(s), *back = yaml_reads(lit);
	if (!back || strcmp(back, want))
		print_error("json_str(\"%s\") = %s read back as %s\n", s, lit, back ? back : "(refused)");
	assert_non_null(back);
	assert_string_equal(back, want);
	free(lit);
	free(back);
}

static void test_escapes(void **state)
{
	(void)state;
	char *lit = json_of("a\"b\\c\n\r\t\b\f\x01\x7f");
	assert_string_equal(lit, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u007f\"");
	free(lit);
	lit = json_of("\xc2\x85|\xe2\x80\xa8|\xe2\x80\xa9|\xc2\x9f|\xef\xbb\xbf");   /* NEL LS PS C1 BOM */
	assert_string_equal(lit, "\"\\u0085|\\u2028|\\u2029|\\u009f|\\ufeff\"");
	free(lit);
	lit = json_of("caf\xc3\xa9 \xf0\x9f\x94\xa5");   /* valid UTF-8 passes through */
	assert_string_equal(lit, "\"caf\xc3\xa9 \xf0\x9f\x94\xa5\"");
	free(lit);
	lit = json_of(NULL);
	assert_string_equal(lit, "null");
	free(lit);
}

static void test_not_utf8_becomes_replacement(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"\x80", "\xff", "a\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80" /* surrogate */,
		"\xf4\x90\x80\x80" /* > U+10FFFF */, "\xf8\x88\x80\x80\x80", "\xe2\x82",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *lit = json_of(bad[i]);
		assert_non_null(strstr(lit, "\\ufffd"));
		char *back = yaml_reads(lit);
		assert_non_null(back);   /* always readable */
		free(back);
		free(lit);
	}
}

static void test_libyaml_reads_back(void **state)
{
	(void)state;
	round_trips("plain", "plain");
	round_trips("db1: no answer \"quoted\"\n\x01", "db1: no answer \"quoted\"\n\x01");
	round_trips("\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\xc2\x80\xef\xbb\xbf\xef\xbf\xbe", "\xc2\x85\xe2\x80\xa8\xe2\x80\xa9\xc2\x80\xef\xbb\xbf\xef\xbf\xbe");
	round_trips("caf\xc3\xa9 \xf0\x9f\x94\xa5", "caf\xc3\xa9 \xf0\x9f\x94\xa5");
	round_trips("x\x80y", "x\xef\xbf\xbdy");   /* U+FFFD */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_not_utf8_becomes_replacement),
		cmocka_unit_test(test_libyaml_reads_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
