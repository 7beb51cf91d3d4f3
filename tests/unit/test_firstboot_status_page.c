/* firstboot/status_page.c: the deployment's status page from Prometheus'
 * answers (JSON as /api/v1/query gives it): hosts sorted, steps in the
 * agent's order, scrapes, alerts, escaping, and refusals of answers that
 * are not successful instant vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>
#include "firstboot/status_page.h"

#define V(labels, v) "{\"metric\":{" labels "},\"value\":[1700000000.123,\"" v "\"]}"
#define ANSWER(...) "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[" __VA_ARGS__ "]}}"

static const char up[] = ANSWER(
	V("\"__name__\":\"up\",\"job\":\"node\",\"host\":\"minio1\",\"role\":\"minio\",\"instance\":\"10.0.0.11:9100\"", "1") ","
	V("\"__name__\":\"up\",\"job\":\"minio\",\"host\":\"minio1\",\"role\":\"minio\"", "1") ","
	V("\"__name__\":\"up\",\"job\":\"node\",\"host\":\"db1\",\"role\":\"mysql\"", "1") ","
	V("\"__name__\":\"up\",\"job\":\"mysqld\",\"host\":\"db1\",\"role\":\"mysql\"", "0") ","
	V("\"__name__\":\"up\",\"job\":\"node\",\"host\":\"app<1>\",\"role\":\"app\"", "0"));
static const char steps[] = ANSWER(
	V("\"step\":\"join\",\"state\":\"skipped\",\"host\":\"db1\",\"role\":\"mysql\"", "1") ","
	V("\"step\":\"seed\",\"state\":\"done\",\"host\":\"db1\",\"role\":\"mysql\"", "1") ","
	V("\"step\":\"role\",\"state\":\"failed\",\"host\":\"db1\",\"role\":\"mysql\"", "1") ","
	V("\"step\":\"monitoring\",\"state\":\"done\",\"host\":\"minio1\",\"role\":\"minio\"", "1"));
static const char ready[] = ANSWER(
	V("\"host\":\"db1\",\"role\":\"mysql\"", "0") "," V("\"host\":\"minio1\",\"role\":\"minio\"", "1"));
static const char alerts[] = ANSWER(
	V("\"alertname\":\"MariaDBUnreachable\",\"host\":\"db1\",\"alertstate\":\"firing\"", "1") ","
	V("\"alertname\":\"FirstBootStepFailed\",\"host\":\"db1\",\"alertstate\":\"firing\"", "1") ","
	V("\"alertname\":\"MariaDBUnreachable\",\"host\":\"db1\",\"alertstate\":\"firing\",\"x\":\"2\"", "1"));
static const char empty[] = ANSWER();

static void test_page(void **state)
{
	(void)state;
	struct status_page_input in = { "acme", 1700000000, up, steps, ready, alerts };
	struct buf json, html;
	buf_init(&json);
	buf_init(&html);
	assert_int_equal(status_page_build(&in, &json, &html), 0);
	assert_string_equal(json.data,
		"{\"deployment\":\"acme\",\"generated\":1700000000,\"healthy\":false,\"hosts\":["
		"{\"host\":\"app<1>\",\"role\":\"app\",\"up\":false,\"ready\":null,\"failed_step\":null,\"scrapes\":{},"
		"\"steps\":{},\"alerts\":[]},"
		"{\"host\":\"db1\",\"role\":\"mysql\",\"up\":true,\"ready\":false,\"failed_step\":\"role\","
		"\"scrapes\":{\"mysqld\":\"down\"},\"steps\":{\"seed\":\"done\",\"role\":\"failed\",\"join\":\"skipped\"},"
		"\"alerts\":[\"FirstBootStepFailed\",\"MariaDBUnreachable\"]},"
		"{\"host\":\"minio1\",\"role\":\"minio\",\"up\":true,\"ready\":true,\"failed_step\":null,"
		"\"scrapes\":{\"minio\":\"up\"},\"steps\":{\"monitoring\":\"done\"},\"alerts\":[]}]}\n");
	/* the page escapes what it shows */
	assert_non_null(strstr(html.data, "<td>app&lt;1&gt;</td>"));
	assert_null(strstr(html.data, "app<1>"));
	assert_non_null(strstr(html.data, "failed: role"));
	assert_non_null(strstr(html.data, "<span class=\"bad\">mysqld down</span>"));
	buf_free(&json);
	buf_free(&html);
}

static void test_healthy(void **state)
{
	(void)state;
	static const char up1[] = ANSWER(V("\"job\":\"node\",\"host\":\"h\",\"role\":\"app\"", "1"));
	static const char ready1[] = ANSWER(V("\"host\":\"h\",\"role\":\"app\"", "1"));
	struct status_page_input in = { "acme", 1, up1, empty, ready1, empty };
	struct buf json, html;
	buf_init(&json);
	buf_init(&html);
	assert_int_equal(status_page_build(&in, &json, &html), 0);
	assert_non_null(strstr(json.data, "\"healthy\":true"));
	buf_free(&json);
	buf_free(&html);
	/* no hosts known yet is not healthy */
	struct status_page_input none = { "acme", 1, empty, empty, empty, empty };
	buf_init(&json);
	buf_init(&html);
	assert_int_equal(status_page_build(&none, &json, &html), 0);
	assert_non_null(strstr(json.data, "\"healthy\":false,\"hosts\":[]"));
	buf_free(&json);
	buf_free(&html);
}

static void test_refused(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"x\"}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}",
		"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
		"[1, 2]",
		"{\"status\":",
		"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct status_page_input in = { "acme", 1, up, steps, bad[i], alerts };
		struct buf json, html;
		buf_init(&json);
		buf_init(&html);
		assert_int_equal(status_page_build(&in, &json, &html), -EBADMSG);
		assert_int_equal(json.len + html.len, 0);
		buf_free(&json);
		buf_free(&html);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_page),
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
