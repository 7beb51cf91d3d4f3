/* firstboot/lazy_libs.c: linked like kiln-firstboot (without libcurl,
 * libxml2, libarchive and libsystemd), every forwarded function reaches the
 * real one with its arguments intact: curl_easy_setopt's long, off_t,
 * pointer and callback arguments, curl_easy_getinfo's, libxml2's xmlFree
 * variable, sd-bus's calls to a peer on a Unix socket.
 * The ISO path itself is driven through kiln-firstboot by
 * tests/cli/firstboot_datasource.sh (an xorriso-made OVF environment); a
 * library that cannot be loaded, by test_firstboot_lazy_libs_missing.c and
 * test_firstboot_lazy_libs_nosym.c. */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <systemd/sd-bus.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
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

/* ---- sd-bus ----
 * The client side is the code under test: it calls only the 13 functions
 * lazy_libs.c forwards (this binary has no -lsystemd, so another would not
 * link), as firstboot/systemd_bus.c does with systemd's private socket. The
 * peer it talks to is served in a thread through the test's own dlopen of
 * libsystemd, so none of the peer's calls go through lazy_libs.c. The peer
 * answers interface org.kiln.Test: Echo returns what arrived (the call's
 * header fields and arguments), Fail an error, Ignore nothing. */
#define PEER_SYMS(X) X(sd_bus_new) X(sd_bus_set_fd) X(sd_bus_set_server) X(sd_id128_randomize) X(sd_bus_start) \
	X(sd_bus_add_filter) X(sd_bus_process) X(sd_bus_wait) X(sd_bus_flush_close_unref) \
	X(sd_bus_message_is_method_call) X(sd_bus_message_get_destination) X(sd_bus_message_get_path) \
	X(sd_bus_message_get_interface) X(sd_bus_message_get_member) X(sd_bus_message_read) \
	X(sd_bus_reply_method_return) X(sd_bus_reply_method_errorf) \
	X(sd_bus_slot_set_destroy_callback) X(sd_bus_slot_set_floating) X(sd_bus_slot_unref)
#define PEER_FIELD(name) __typeof__(name) *name;
#define PEER_LOOKUP(name) \
	if (!(p->sd.name = (__typeof__(name) *)dlsym(p->lib, #name))) \
		fail_msg("libsystemd.so.0 has no %s", #name);

struct peer {
	struct { PEER_SYMS(PEER_FIELD) } sd;
	void *lib;
	char dir[32], address[128];
	int listen_fd;
	pthread_t thread;
	bool running;
	atomic_bool stop;  /* the test is over (failed before closing its bus) */
	char error[256];   /* the first thing that went wrong in the peer's thread */
	int end;           /* how its connection ended (sd_bus_process's error) */
};

static void peer_error(struct peer *p, const char *what, int r)
{
	if (!p->error[0])
		snprintf(p->error, sizeof p->error, "peer: %s: %s", what, strerror(r < 0 ? -r : r));
}

static int peer_answer(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct peer *p = userdata;
	if (p->sd.sd_bus_message_is_method_call(m, "org.kiln.Test", NULL) <= 0)
		return 0;   /* sd-bus's own handling (a Disconnected signal...) */
	const char *member = p->sd.sd_bus_message_get_member(m);
	const char *s = NULL;
	uint32_t u = 0;
	uint64_t t = 0;
	int r;
	if (!strcmp(member, "Echo")) {
		/* errors reach the caller as the call's own, with the reason */
		if ((r = p->sd.sd_bus_message_read(m, "sut", &s, &u, &t)) < 0)
			return p->sd.sd_bus_reply_method_errorf(m, SD_BUS_ERROR_INVALID_ARGS, "Echo's arguments: %s",
								strerror(-r));
		const char *dest = p->sd.sd_bus_message_get_destination(m);
		/* a variant holding a struct, like systemd's Job property, then strings and a 64-bit number */
		r = p->sd.sd_bus_reply_method_return(m, "vssssst", "(uo)", u, p->sd.sd_bus_message_get_path(m),
						     dest ? dest : "(none)", p->sd.sd_bus_message_get_interface(m),
						     member, s, "end", t);
	} else if (!strcmp(member, "Fail")) {
		if ((r = p->sd.sd_bus_message_read(m, "s", &s)) >= 0)
			r = p->sd.sd_bus_reply_method_errorf(m, SD_BUS_ERROR_ACCESS_DENIED, "%s refused: %s", member, s);
	} else {
		r = 0;   /* Ignore: no answer, the caller times out */
	}
	if (r < 0)
		peer_error(p, member, r);
	return 1;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Accepts one connection and serves it until the client closes it; gives
 * up after 20 s, or as soon as the test is over, so a client that never
 * connects or closes (lazy_libs.c broken) fails the test instead of hanging
 * it. */
static void *peer_serve(void *arg)
{
	struct peer *p = arg;
	int64_t deadline = now_ms() + 20000;
	struct pollfd pfd = { .fd = p->listen_fd, .events = POLLIN };
	while (poll(&pfd, 1, 100) != 1)
		if (atomic_load(&p->stop) || now_ms() > deadline) {
			peer_error(p, "no connection", ETIMEDOUT);
			return NULL;
		}
	int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		peer_error(p, "accept", errno);
		return NULL;
	}
	sd_bus *bus = NULL;
	sd_id128_t id;
	int r;
	if ((r = p->sd.sd_bus_new(&bus)) < 0 || (r = p->sd.sd_bus_set_fd(bus, fd, fd)) < 0 ||
	    (r = p->sd.sd_id128_randomize(&id)) < 0 || (r = p->sd.sd_bus_set_server(bus, 1, id)) < 0 ||
	    (r = p->sd.sd_bus_add_filter(bus, NULL, peer_answer, p)) < 0 || (r = p->sd.sd_bus_start(bus)) < 0) {
		peer_error(p, "cannot serve", r);
		if (!bus)
			close(fd);
		p->sd.sd_bus_flush_close_unref(bus);
		return NULL;
	}
	for (;;) {
		r = p->sd.sd_bus_process(bus, NULL);
		if (r < 0) {
			p->end = r;
			break;
		}
		if (r > 0)
			continue;
		if (atomic_load(&p->stop) || now_ms() > deadline) {
			peer_error(p, "the client never closed", ETIMEDOUT);
			break;
		}
		p->sd.sd_bus_wait(bus, 100000);
	}
	p->sd.sd_bus_flush_close_unref(bus);
	return NULL;
}

static int peer_start(void **state)
{
	struct peer *p = calloc(1, sizeof *p);
	assert_non_null(p);
	*state = p;
	p->listen_fd = -1;
	p->lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!p->lib)
		fail_msg("%s", dlerror());
	PEER_SYMS(PEER_LOOKUP)
	snprintf(p->dir, sizeof p->dir, "/tmp/kiln-lazy-bus-XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/private", p->dir);
	snprintf(p->address, sizeof p->address, "unix:path=%s", sa.sun_path);
	p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(p->listen_fd >= 0);
	assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(p->listen_fd, 1), 0);
	assert_int_equal(pthread_create(&p->thread, NULL, peer_serve, p), 0);
	p->running = true;
	return 0;
}

static void peer_join(struct peer *p)
{
	if (p->running)
		pthread_join(p->thread, NULL);
	p->running = false;
}

static int peer_stop(void **state)
{
	struct peer *p = *state;
	if (!p)
		return 0;
	atomic_store(&p->stop, true);
	peer_join(p);
	if (p->listen_fd >= 0)
		close(p->listen_fd);
	char sock[64];
	snprintf(sock, sizeof sock, "%s/private", p->dir);
	unlink(sock);
	rmdir(p->dir);
	if (p->lib)
		dlclose(p->lib);
	free(p);
	return 0;
}

static int pass_on(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	return 0;
}

static void on_bus_freed(void *userdata)
{
	*(bool *)userdata = true;
}

/* Fails with the library's reason, or the peer's (its error reply), when r is an error. */
static void assert_call_ok(int r, const sd_bus_error *e)
{
	if (r < 0)
		fail_msg("sd_bus_call: %s (%s)", strerror(-r), e->message ? e->message : "");
}

static void sd_bus_calls_through_the_loader(void **state)
{
	struct peer *p = *state;
	sd_bus *b = NULL;
	assert_true(sd_bus_new(&b) >= 0);
	assert_non_null(b);
	assert_true(sd_bus_set_address(b, p->address) >= 0);
	assert_true(sd_bus_start(b) >= 0);
	/* a slot the bus owns tells when the bus is freed: only once every
	 * message (each holds a reference to it) is unreferenced too. Its
	 * destroy callback gets the filter's userdata, &freed. */
	bool freed = false;
	sd_bus_slot *slot = NULL;
	assert_true(p->sd.sd_bus_add_filter(b, &slot, pass_on, &freed) >= 0);
	assert_true(p->sd.sd_bus_slot_set_destroy_callback(slot, on_bus_freed) >= 0);
	assert_true(p->sd.sd_bus_slot_set_floating(slot, 1) >= 0);
	assert_null(p->sd.sd_bus_slot_unref(slot));

	/* each argument of the call arrives: the peer echoes its header and arguments */
	sd_bus_message *m = NULL, *reply = NULL;
	assert_true(sd_bus_message_new_method_call(b, &m, "org.kiln.Peer", "/org/kiln/test", "org.kiln.Test",
						   "Echo") >= 0);
	assert_non_null(m);
	uint32_t u = 0xfeedbeef;
	uint64_t t = UINT64_C(0x0123456789abcdef);
	assert_true(sd_bus_message_append_basic(m, 's', "kiln") >= 0);   /* a string is passed itself */
	assert_true(sd_bus_message_append_basic(m, 'u', &u) >= 0);
	assert_true(sd_bus_message_append_basic(m, 't', &t) >= 0);
	sd_bus_error e = SD_BUS_ERROR_NULL;
	assert_call_ok(sd_bus_call(b, m, 5000000, &e, &reply), &e);
	assert_null(e.name);
	assert_non_null(reply);

	char type = 0;
	const char *contents = NULL;
	assert_int_equal(sd_bus_message_peek_type(reply, &type, &contents), 1);
	assert_int_equal(type, 'v');
	assert_non_null(contents);
	assert_string_equal(contents, "(uo)");
	/* contents arrive: dropped (NULL), sd-bus would enter whatever is there */
	assert_int_equal(sd_bus_message_enter_container(reply, 'v', "s"), -ENXIO);
	assert_true(sd_bus_message_enter_container(reply, 'v', "(uo)") > 0);
	assert_true(sd_bus_message_enter_container(reply, 'r', "uo") > 0);
	const char *str = NULL;
	assert_int_equal(sd_bus_message_read_basic(reply, 's', &str), -ENXIO);   /* the type arrives */
	uint32_t got_u = 0;
	assert_true(sd_bus_message_read_basic(reply, 'u', &got_u) > 0);
	assert_int_equal(got_u, u);
	str = NULL;
	assert_true(sd_bus_message_read_basic(reply, 'o', &str) > 0);
	assert_non_null(str);
	assert_string_equal(str, "/org/kiln/test");
	assert_true(sd_bus_message_exit_container(reply) > 0);
	assert_true(sd_bus_message_exit_container(reply) > 0);
	static const char *const want[] = { "org.kiln.Peer", "org.kiln.Test", "Echo", "kiln", "end" };
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		str = NULL;
		assert_true(sd_bus_message_read_basic(reply, 's', &str) > 0);
		assert_non_null(str);
		assert_string_equal(str, want[i]);
	}
	uint64_t got_t = 0;
	assert_true(sd_bus_message_read_basic(reply, 't', &got_t) > 0);
	assert_true(got_t == t);
	assert_int_equal(sd_bus_message_peek_type(reply, &type, &contents), 0);   /* the end */
	assert_null(sd_bus_message_unref(reply));
	assert_null(sd_bus_message_unref(m));
	assert_null(sd_bus_message_unref(NULL));

	/* an error reply fills the sd_bus_error, which sd_bus_error_free empties */
	m = reply = NULL;
	assert_true(sd_bus_message_new_method_call(b, &m, "org.kiln.Peer", "/org/kiln/test", "org.kiln.Test",
						   "Fail") >= 0);
	assert_true(sd_bus_message_append_basic(m, 's', "kiln") >= 0);
	assert_int_equal(sd_bus_call(b, m, 5000000, &e, &reply), -EACCES);
	assert_non_null(e.name);
	assert_string_equal(e.name, SD_BUS_ERROR_ACCESS_DENIED);
	assert_string_equal(e.message, "Fail refused: kiln");
	sd_bus_error_free(&e);
	assert_null(e.name);
	assert_null(e.message);
	sd_bus_error_free(NULL);
	assert_null(sd_bus_message_unref(m));

	/* the timeout arrives: 0.2 s, not sd-bus's default 25 s for 0 */
	m = reply = NULL;
	assert_true(sd_bus_message_new_method_call(b, &m, "org.kiln.Peer", "/org/kiln/test", "org.kiln.Test",
						   "Ignore") >= 0);
	int64_t start = now_ms();
	assert_int_equal(sd_bus_call(b, m, 200000, &e, &reply), -ETIMEDOUT);
	int64_t took = now_ms() - start;
	assert_true(took >= 150 && took < 5000);
	sd_bus_error_free(&e);
	assert_null(sd_bus_message_unref(m));

	/* closed (the peer sees the end of its connection) and freed */
	assert_null(sd_bus_flush_close_unref(b));
	assert_true(freed);
	assert_null(sd_bus_flush_close_unref(NULL));
	peer_join(p);
	if (p->error[0])
		fail_msg("%s", p->error);
	assert_true(p->end == -ECONNRESET || p->end == -ENOTCONN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(curl_fetches_through_the_loader),
		cmocka_unit_test(xml_parses_through_the_loader),
		cmocka_unit_test(archive_refuses_a_non_iso_through_the_loader),
		cmocka_unit_test_setup_teardown(sd_bus_calls_through_the_loader, peer_start, peer_stop),
	};
	int r = cmocka_run_group_tests(tests, make_file, drop_file);
	curl_global_cleanup();
	return r;
}
