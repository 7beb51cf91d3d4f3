/* firstboot/lazy_libs.c when a library cannot be used, for
 * test_firstboot_lazy_libs_missing.c (dlopen fails) and
 * test_firstboot_lazy_libs_nosym.c (a function is missing from the library).
 * Both are linked like kiln-firstboot, with -Wl,--wrap=dlopen,--wrap=dlsym
 * (Makefile): lazy_libs.o's calls reach the wrappers below. For the four
 * sonames they make dlopen fail, or they load the real library and hide the
 * last function looked up in it (the ones found before become traps);
 * everything else goes to the real functions. The object tested is the one
 * kiln-firstboot links, unchanged.
 *
 * Each library is loaded once per process (pthread_once), so one binary
 * covers one way of failing; a test calls every function of its library
 * twice and checks that each fails the way the library reports failure,
 * that nothing was forwarded (with dlopen failing, the function pointers
 * are NULL; with a function missing, the ones found are called_anyway),
 * and that exactly one error was logged and one dlopen made. */
#ifndef KILN_TEST_LAZY_LIBS_FAILING_H
#define KILN_TEST_LAZY_LIBS_FAILING_H
#include "lib/log.h"
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <systemd/sd-bus.h>

enum lazy_fail { LAZY_FAIL_DLOPEN, LAZY_FAIL_DLSYM };
static enum lazy_fail fail_mode;

/* The libraries lazy_libs.c opens and, for LAZY_FAIL_DLSYM, the function
 * hidden from each: the last it looks up, so every other one was found. */
static const struct lazy_lib { const char *soname, *hidden; } lazy_libs[] = {
	{ "libcurl.so.4", "curl_slist_free_all" },
	{ "libxml2.so.2", "xmlFree" },
	{ "libarchive.so.13", "archive_entry_size" },
	{ "libsystemd.so.0", "sd_bus_error_free" },
};
enum { LIB_CURL, LIB_XML, LIB_ARCHIVE, LIB_SD, LIB_COUNT };
static int dlopen_calls[LIB_COUNT], hidden_lookups[LIB_COUNT];

static int lib_index(const char *soname)
{
	for (int i = 0; i < LIB_COUNT; i++)
		if (soname && !strcmp(soname, lazy_libs[i].soname))
			return i;
	return -1;
}

void *__real_dlopen(const char *file, int flags);
void *__wrap_dlopen(const char *file, int flags);
void *__real_dlsym(void *restrict handle, const char *restrict name);
void *__wrap_dlsym(void *restrict handle, const char *restrict name);

static void *lib_handle[LIB_COUNT];

void *__wrap_dlopen(const char *file, int flags)
{
	int i = lib_index(file);
	if (i < 0)
		return __real_dlopen(file, flags);
	dlopen_calls[i]++;
	if (fail_mode != LAZY_FAIL_DLOPEN)
		return lib_handle[i] = __real_dlopen(file, flags);
	/* a real failure, so dlerror() has the loader's reason */
	char absent[128];
	snprintf(absent, sizeof absent, "/nonexistent-kiln-test/%s", file);
	return __real_dlopen(absent, flags);
}

/* What the functions found before the missing one are replaced with: once
 * one is missing, lazy_libs.c must call none of them. A call would come
 * through the real function's type (undefined behaviour, reached only when
 * lazy_libs.c is wrong); fail_msg leaves the test, so it never returns. */
static void called_anyway(void)
{
	fail_msg("lazy_libs.c called a function of a library it reported missing");
}

void *__wrap_dlsym(void *restrict handle, const char *restrict name)
{
	void *found = __real_dlsym(handle, name);
	if (fail_mode != LAZY_FAIL_DLSYM)
		return found;
	for (int i = 0; i < LIB_COUNT; i++) {
		if (!handle || handle != lib_handle[i])
			continue;
		if (!strcmp(name, lazy_libs[i].hidden)) {
			hidden_lookups[i]++;
			(void)dlerror();   /* no reason: lazy_libs.c says "not found" */
			return NULL;
		}
		return found ? (void *)called_anyway : NULL;   /* the real library has it */
	}
	return found;
}

/* Every message logged, whatever its level. */
static int logged;
static enum log_level logged_level;
static char logged_msg[512];

static void capture(enum log_level lvl, const char *msg, void *userdata)
{
	logged++;
	logged_level = lvl;
	snprintf(logged_msg, sizeof logged_msg, "%s", msg);
}

static int reset_log(void **state)
{
	logged = 0;
	logged_msg[0] = '\0';
	return 0;
}

/* One error, naming the library (and the missing function), and one dlopen. */
static void expect_one_failure(int lib)
{
	const struct lazy_lib *l = &lazy_libs[lib];
	char want[160];
	if (fail_mode == LAZY_FAIL_DLOPEN)
		snprintf(want, sizeof want, "cannot load %s: /nonexistent-kiln-test/%s: ", l->soname, l->soname);
	else
		snprintf(want, sizeof want, "cannot load %s, function %s: not found", l->soname, l->hidden);
	assert_int_equal(logged, 1);
	assert_int_equal(logged_level, LOG_LVL_ERROR);
	if (strncmp(logged_msg, want, strlen(want)))
		fail_msg("logged \"%s\", expected it to start with \"%s\"", logged_msg, want);
	assert_int_equal(dlopen_calls[lib], 1);
	assert_int_equal(hidden_lookups[lib], fail_mode == LAZY_FAIL_DLSYM ? 1 : 0);
}

/* Stands in for handles, lists and strings the library would have made. */
static long fake[64];

static void curl_fails_without_its_library(void **state)
{
	CURL *c = (CURL *)fake;
	for (int round = 0; round < 2; round++) {
		assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_FAILED_INIT);
		assert_null(curl_easy_init());
		assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, "http://169.254.169.254/"), CURLE_FAILED_INIT);
		assert_int_equal(curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L), CURLE_FAILED_INIT);
		assert_int_equal(curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)4), CURLE_FAILED_INIT);
		assert_int_equal(curl_easy_perform(c), CURLE_FAILED_INIT);
		long code = -1;
		assert_int_equal(curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code), CURLE_FAILED_INIT);
		assert_int_equal(code, -1);
		assert_string_equal(curl_easy_strerror(CURLE_COULDNT_CONNECT), "libcurl could not be loaded");
		assert_null(curl_slist_append(NULL, "X-A: 1"));
		curl_slist_free_all((struct curl_slist *)fake);
		curl_slist_free_all(NULL);
		curl_easy_reset(c);
		curl_easy_cleanup(c);
		curl_easy_cleanup(NULL);
		curl_global_cleanup();
	}
	expect_one_failure(LIB_CURL);
}

static void xml_fails_without_its_library(void **state)
{
	static const char doc_text[] = "<a><b>text</b></a>";
	xmlDoc *doc = (xmlDoc *)fake;
	xmlNode *node = (xmlNode *)fake;
	char not_xmls[8] = "";
	for (int round = 0; round < 2; round++) {
		assert_null(xmlReadMemory(doc_text, (int)strlen(doc_text), NULL, NULL, XML_PARSE_NONET));
		assert_null(xmlDocGetRootElement(doc));
		assert_null(xmlGetNsProp(node, (const xmlChar *)"key", (const xmlChar *)"urn:k"));
		assert_null(xmlNodeGetContent(node));
		xmlFree(not_xmls);   /* forwarded, a free of a stack address would abort */
		xmlFree(NULL);
		xmlFreeDoc(doc);
		xmlFreeDoc(NULL);
	}
	expect_one_failure(LIB_XML);
}

static void archive_fails_without_its_library(void **state)
{
	struct archive *a = (struct archive *)fake;
	struct archive_entry *e = (struct archive_entry *)fake;
	char buf[16];
	for (int round = 0; round < 2; round++) {
		assert_null(archive_read_new());
		assert_int_equal(archive_read_support_format_iso9660(a), ARCHIVE_FATAL);
		assert_int_equal(archive_read_open_fd(a, 0, 2048), ARCHIVE_FATAL);
		struct archive_entry *got = e;
		assert_int_equal(archive_read_next_header(a, &got), ARCHIVE_FATAL);
		assert_ptr_equal(got, e);
		assert_int_equal(archive_read_data(a, buf, sizeof buf), ARCHIVE_FATAL);
		assert_null(archive_entry_pathname(e));
		assert_int_equal(archive_entry_filetype(e), 0);
		assert_int_equal(archive_entry_size(e), 0);
		/* nothing to free: the library made no archive (as for NULL) */
		assert_int_equal(archive_read_free(a), ARCHIVE_OK);
		assert_int_equal(archive_read_free(NULL), ARCHIVE_OK);
	}
	expect_one_failure(LIB_ARCHIVE);
}

static void sd_bus_fails_without_its_library(void **state)
{
	sd_bus *bus = (sd_bus *)fake;
	sd_bus_message *m = (sd_bus_message *)fake;
	/* strings the library would have allocated: a forwarded
	 * sd_bus_error_free would free() these stack arrays and abort */
	char name[] = "org.freedesktop.DBus.Error.Failed", message[] = "not from sd-bus";
	for (int round = 0; round < 2; round++) {
		sd_bus *got_bus = bus;
		assert_int_equal(sd_bus_new(&got_bus), -ELIBACC);
		assert_ptr_equal(got_bus, bus);
		assert_int_equal(sd_bus_set_address(bus, "unix:path=/run/systemd/private"), -ELIBACC);
		assert_int_equal(sd_bus_start(bus), -ELIBACC);
		sd_bus_message *got = m;
		assert_int_equal(sd_bus_message_new_method_call(bus, &got, "org.freedesktop.systemd1",
								"/org/freedesktop/systemd1",
								"org.freedesktop.systemd1.Manager", "LoadUnit"),
				 -ELIBACC);
		assert_ptr_equal(got, m);
		assert_int_equal(sd_bus_message_append_basic(m, 's', "kiln-metrics.timer"), -ELIBACC);
		sd_bus_error e = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = m;
		assert_int_equal(sd_bus_call(bus, m, 1000000, &e, &reply), -ELIBACC);
		assert_ptr_equal(reply, m);
		assert_null(e.name);
		assert_null(e.message);
		uint32_t u = 7;
		assert_int_equal(sd_bus_message_read_basic(m, 'u', &u), -ELIBACC);
		assert_int_equal(u, 7);
		char type = 'x';
		const char *contents = "t";
		assert_int_equal(sd_bus_message_peek_type(m, &type, &contents), -ELIBACC);
		assert_int_equal(type, 'x');
		assert_string_equal(contents, "t");
		assert_int_equal(sd_bus_message_enter_container(m, 'v', "(uo)"), -ELIBACC);
		assert_int_equal(sd_bus_message_exit_container(m), -ELIBACC);
		assert_null(sd_bus_message_unref(m));
		assert_null(sd_bus_message_unref(NULL));
		sd_bus_error owned = { .name = name, .message = message, ._need_free = 1 };
		sd_bus_error_free(&owned);
		assert_ptr_equal(owned.name, name);   /* the real one would have reset it */
		assert_ptr_equal(owned.message, message);
		sd_bus_error_free(NULL);
		assert_null(sd_bus_flush_close_unref(bus));
		assert_null(sd_bus_flush_close_unref(NULL));
	}
	expect_one_failure(LIB_SD);
}

static int run_failing_tests(enum lazy_fail mode)
{
	fail_mode = mode;
	log_set_sink(capture, NULL);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(curl_fails_without_its_library, reset_log),
		cmocka_unit_test_setup(xml_fails_without_its_library, reset_log),
		cmocka_unit_test_setup(archive_fails_without_its_library, reset_log),
		cmocka_unit_test_setup(sd_bus_fails_without_its_library, reset_log),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
