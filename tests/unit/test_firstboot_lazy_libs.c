/* firstboot/lazy_libs.c: linked like kiln-firstboot (without libcurl,
 * libxml2 and libarchive), every forwarded function reaches the real one
 * with its arguments intact: curl_easy_setopt's long, off_t, pointer and
 * callback arguments, curl_easy_getinfo's, libxml2's xmlFree variable.
 * The ISO path itself is driven through kiln-firstboot by
 * tests/cli/firstboot_datasource.sh (an xorriso-made OVF environment); a
 * library that cannot be loaded, by test_firstboot_lazy_libs_missing.c and
 * test_firstboot_lazy_libs_nosym.c. */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

static char path[] = "/tmp/kiln-lazy-XXXXXX";

static int make_file(void **state)
{
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	return 0;
}

static int drop_file(void **state)
{
	unlink(path);
	return 0;
}

struct sink { char data[64]; size_t len; int calls; };

static size_t on_data(char *p, size_t size, size_t n, void *userdata)
{
	struct sink *s = userdata;
	size_t len = size * n;
	if (s->len + len > sizeof s->data)
		return 0;
	memcpy(s->data + s->len, p, len);
	s->len += len;
	s->calls++;
	return len;
}

static CURL *file_handle(struct sink *s, char *url, size_t url_len)
{
	snprintf(url, url_len, "file://%s", path);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);                 /* a string */
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data), CURLE_OK);  /* a callback */
	assert_int_equal(curl_easy_setopt(c, CURLOPT_WRITEDATA, s), CURLE_OK);            /* data */
	return c;
}

static void curl_fetches_through_the_loader(void **state)
{
	assert_int_equal(curl_global_init(CURL_GLOBAL_DEFAULT), CURLE_OK);
	struct sink s = { 0 };
	char url[128];
	CURL *c = file_handle(&s, url, sizeof url);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	assert_int_equal(s.len, 10);
	assert_memory_equal(s.data, "0123456789", 10);
	curl_off_t got = 0;
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &got), CURLE_OK);
	assert_int_equal(got, 10);
	char *eff = NULL;
	assert_int_equal(curl_easy_getinfo(c, CURLINFO_EFFECTIVE_URL, &eff), CURLE_OK);
	assert_string_equal(eff, url);

	/* a long arrives as a long: NOBODY 1 fetches no body */
	curl_easy_reset(c);
	memset(&s, 0, sizeof s);
	curl_easy_cleanup(c);
	c = file_handle(&s, url, sizeof url);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_NOBODY, 1L), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	assert_int_equal(s.calls, 0);
	curl_easy_cleanup(c);

	/* an off_t arrives as one: resuming from byte 4 fetches the rest */
	memset(&s, 0, sizeof s);
	c = file_handle(&s, url, sizeof url);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)4), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	assert_int_equal(s.len, 6);
	assert_memory_equal(s.data, "456789", 6);
	curl_easy_cleanup(c);

	/* a string option does too: http only refuses file:// */
	memset(&s, 0, sizeof s);
	c = file_handle(&s, url, sizeof url);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http"), CURLE_OK);
	assert_int_equal(curl_easy_perform(c), CURLE_UNSUPPORTED_PROTOCOL);
	assert_string_equal(curl_easy_strerror(CURLE_UNSUPPORTED_PROTOCOL), "Unsupported protocol");
	curl_easy_cleanup(c);

	struct curl_slist *l = curl_slist_append(NULL, "X-A: 1");
	assert_non_null(l);
	l = curl_slist_append(l, "X-B: 2");
	assert_string_equal(l->next->data, "X-B: 2");
	curl_slist_free_all(l);
	curl_easy_cleanup(NULL);
	curl_slist_free_all(NULL);
}

static void xml_parses_through_the_loader(void **state)
{
	static const char doc_text[] = "<a xmlns:k=\"urn:k\"><b k:key=\"v1\">text</b></a>";
	xmlDocPtr doc = xmlReadMemory(doc_text, (int)strlen(doc_text), NULL, NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	assert_non_null(root);
	assert_string_equal((const char *)root->name, "a");
	xmlNodePtr b = root->children;
	assert_non_null(b);
	xmlChar *key = xmlGetNsProp(b, (const xmlChar *)"key", (const xmlChar *)"urn:k");
	assert_string_equal((const char *)key, "v1");
	xmlFree(key);
	assert_null(xmlGetNsProp(b, (const xmlChar *)"key", (const xmlChar *)"urn:other"));
	xmlChar *text = xmlNodeGetContent(b);
	assert_string_equal((const char *)text, "text");
	xmlFree(text);
	xmlFreeDoc(doc);
	xmlFreeDoc(NULL);
	assert_null(xmlReadMemory("<a>", 3, NULL, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
}

static void archive_refuses_a_non_iso_through_the_loader(void **state)
{
	struct archive *a = archive_read_new();
	assert_non_null(a);
	assert_int_equal(archive_read_support_format_iso9660(a), ARCHIVE_OK);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	int r = archive_read_open_fd(a, fd, 2048);
	struct archive_entry *e = NULL;
	if (r == ARCHIVE_OK)
		r = archive_read_next_header(a, &e);
	assert_int_equal(r, ARCHIVE_FATAL);   /* ten digits are no ISO 9660 volume */
	assert_int_equal(archive_read_free(a), ARCHIVE_OK);
	assert_int_equal(archive_read_free(NULL), ARCHIVE_OK);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(curl_fetches_through_the_loader),
		cmocka_unit_test(xml_parses_through_the_loader),
		cmocka_unit_test(archive_refuses_a_non_iso_through_the_loader),
	};
	int r = cmocka_run_group_tests(tests, make_file, drop_file);
	curl_global_cleanup();
	return r;
}
