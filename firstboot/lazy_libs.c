/* libcurl, libxml2, libarchive and libsystemd for kiln-firstboot, loaded on
 * first use.
 *
 * Why: the agent runs every 30 s on every monitored host (kiln-metrics.timer)
 * and several times in each first boot, mostly in commands that never fetch,
 * parse XML, read an ISO or talk to systemd. Linked the usual way, those
 * libraries bring about 35 more shared objects (Kerberos, LDAP, GnuTLS, ICU, libstdc++...)
 * that the dynamic loader relocates on every start; under QEMU TCG that was
 * about 1 s of a guest's CPU per run (bench/RESULTS.md, "kiln-firstboot's
 * start"). systemd loads its optional libraries the same way.
 *
 * How: this file defines the functions kiln's code calls, with the libraries'
 * own prototypes, so the callers (in firstboot/ and in lib/, which the kiln
 * CLI links normally) stay unchanged. Each forwards to the real function,
 * found with dlopen/dlsym the first time any function of its library is
 * called. Only kiln-firstboot links this file (Makefile: FB_LAZY_PKGS); if a
 * library cannot be loaded, its functions fail the way the library reports
 * failure (NULL, CURLE_FAILED_INIT, ARCHIVE_FATAL, sd-bus's negative errno)
 * after one logged error.
 * The sonames are the packages images/roles/base.yaml installs (libsystemd.so.0
 * comes with systemd itself). A new
 * function from these libraries must be added here, or kiln-firstboot fails
 * to link (the test tests/unit/test_firstboot_lazy_libs.c drives each). */
#define CURL_DISABLE_TYPECHECK   /* plain prototypes: curl_easy_setopt is defined here */
#include "lib/log.h"
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <errno.h>
#include <string.h>
#include <systemd/sd-bus.h>

#define FIELD(name) __typeof__(name) *name;
#define LOOKUP(name) if (!(s->name = (__typeof__(name) *)dlsym(h, #name))) return lib_missing(soname, #name);

static bool lib_missing(const char *soname, const char *what)
{
	const char *why = dlerror();
	log_error("cannot load %s%s%s: %s", soname, what ? ", function " : "", what ? what : "",
		  why ? why : "not found");
	return false;
}

static void *lib_open(const char *soname)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		lib_missing(soname, NULL);
	return h;
}

/* ---- libcurl ---- */
#define CURL_SYMS(X) X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init) X(curl_easy_cleanup) \
	X(curl_easy_reset) X(curl_easy_perform) X(curl_easy_setopt) X(curl_easy_getinfo) \
	X(curl_easy_strerror) X(curl_slist_append) X(curl_slist_free_all)
static struct { CURL_SYMS(FIELD) } curl_syms;
static bool curl_ok;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static bool curl_lookup(void *h, const char *soname)
{
	__typeof__(curl_syms) *s = &curl_syms;
	CURL_SYMS(LOOKUP)
	return true;
}

static void curl_load(void)
{
	void *h = lib_open("libcurl.so.4");
	/* curl_global_init once, at load: what main() did for every command */
	curl_ok = h && curl_lookup(h, "libcurl.so.4") && curl_syms.curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

static bool need_curl(void)
{
	pthread_once(&curl_once, curl_load);
	return curl_ok;
}

CURLcode curl_global_init(long flags)
{
	return need_curl() ? CURLE_OK : CURLE_FAILED_INIT;   /* initialised by the load */
}

void curl_global_cleanup(void)
{
	/* only if something loaded it: a command that never fetched stays unloaded */
	if (curl_ok)
		curl_syms.curl_global_cleanup();
}

CURL *curl_easy_init(void)
{
	return need_curl() ? curl_syms.curl_easy_init() : NULL;
}

void curl_easy_cleanup(CURL *c)
{
	if (c && need_curl())
		curl_syms.curl_easy_cleanup(c);
}

void curl_easy_reset(CURL *c)
{
	if (c && need_curl())
		curl_syms.curl_easy_reset(c);
}

CURLcode curl_easy_perform(CURL *c)
{
	return need_curl() ? curl_syms.curl_easy_perform(c) : CURLE_FAILED_INIT;
}

/* The option's number says its argument's type (curl.h, CURLOPTTYPE_*). */
CURLcode curl_easy_setopt(CURL *c, CURLoption opt, ...)
{
	if (!need_curl())
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, opt);
	CURLcode r;
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		r = curl_syms.curl_easy_setopt(c, opt, va_arg(ap, long));
	else if (opt >= CURLOPTTYPE_OFF_T && opt < CURLOPTTYPE_BLOB)
		r = curl_syms.curl_easy_setopt(c, opt, va_arg(ap, curl_off_t));
	else   /* data, string, list, callback or blob: a pointer */
		r = curl_syms.curl_easy_setopt(c, opt, va_arg(ap, void *));
	va_end(ap);
	return r;
}

CURLcode curl_easy_getinfo(CURL *c, CURLINFO info, ...)
{
	if (!need_curl())
		return CURLE_FAILED_INIT;
	va_list ap;
	va_start(ap, info);
	CURLcode r = curl_syms.curl_easy_getinfo(c, info, va_arg(ap, void *));   /* always where to store it */
	va_end(ap);
	return r;
}

const char *curl_easy_strerror(CURLcode code)
{
	return need_curl() ? curl_syms.curl_easy_strerror(code) : "libcurl could not be loaded";
}

struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	return need_curl() ? curl_syms.curl_slist_append(l, s) : NULL;
}

void curl_slist_free_all(struct curl_slist *l)
{
	if (l && need_curl())
		curl_syms.curl_slist_free_all(l);
}

/* ---- libxml2 ---- */
#define XML_SYMS(X) X(xmlReadMemory) X(xmlDocGetRootElement) X(xmlFreeDoc) X(xmlGetNsProp) X(xmlNodeGetContent)
static struct { XML_SYMS(FIELD) xmlFreeFunc *free_fn; } xml_syms;
static bool xml_ok;
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static bool xml_lookup(void *h, const char *soname)
{
	__typeof__(xml_syms) *s = &xml_syms;
	XML_SYMS(LOOKUP)
	/* xmlFree is a variable (the allocator's free), read when called */
	if (!(s->free_fn = dlsym(h, "xmlFree")))
		return lib_missing(soname, "xmlFree");
	return true;
}

static void xml_load(void)
{
	void *h = lib_open("libxml2.so.2");
	xml_ok = h && xml_lookup(h, "libxml2.so.2");
}

static bool need_xml(void)
{
	pthread_once(&xml_once, xml_load);
	return xml_ok;
}

xmlDocPtr xmlReadMemory(const char *buf, int size, const char *url, const char *enc, int options)
{
	return need_xml() ? xml_syms.xmlReadMemory(buf, size, url, enc, options) : NULL;
}

xmlNodePtr xmlDocGetRootElement(const xmlDoc *doc)
{
	return need_xml() ? xml_syms.xmlDocGetRootElement(doc) : NULL;
}

void xmlFreeDoc(xmlDocPtr doc)
{
	if (doc && need_xml())
		xml_syms.xmlFreeDoc(doc);
}

xmlChar *xmlGetNsProp(const xmlNode *node, const xmlChar *name, const xmlChar *ns)
{
	return need_xml() ? xml_syms.xmlGetNsProp(node, name, ns) : NULL;
}

xmlChar *xmlNodeGetContent(const xmlNode *node)
{
	return need_xml() ? xml_syms.xmlNodeGetContent(node) : NULL;
}

/* libxml2's headers make xmlFree a variable the caller calls through. */
static void xml_free_forward(void *p)
{
	if (p && need_xml())
		(*xml_syms.free_fn)(p);
}
xmlFreeFunc xmlFree = xml_free_forward;

/* ---- libarchive ---- */
#define ARCHIVE_SYMS(X) X(archive_read_new) X(archive_read_support_format_iso9660) X(archive_read_open_fd) \
	X(archive_read_next_header) X(archive_read_data) X(archive_read_free) \
	X(archive_entry_pathname) X(archive_entry_filetype) X(archive_entry_size)
static struct { ARCHIVE_SYMS(FIELD) } archive_syms;
static bool archive_ok;
static pthread_once_t archive_once = PTHREAD_ONCE_INIT;

static bool archive_lookup(void *h, const char *soname)
{
	__typeof__(archive_syms) *s = &archive_syms;
	ARCHIVE_SYMS(LOOKUP)
	return true;
}

static void archive_load(void)
{
	/* UTF-8 path names in ISOs (libarchive converts through the locale);
	 * fall back to C.UTF-8 where the environment sets none. */
	if (!setlocale(LC_CTYPE, "") || !strcmp(setlocale(LC_CTYPE, NULL), "C"))
		setlocale(LC_CTYPE, "C.UTF-8");
	void *h = lib_open("libarchive.so.13");
	archive_ok = h && archive_lookup(h, "libarchive.so.13");
}

static bool need_archive(void)
{
	pthread_once(&archive_once, archive_load);
	return archive_ok;
}

struct archive *archive_read_new(void)
{
	return need_archive() ? archive_syms.archive_read_new() : NULL;
}

int archive_read_support_format_iso9660(struct archive *a)
{
	return need_archive() ? archive_syms.archive_read_support_format_iso9660(a) : ARCHIVE_FATAL;
}

int archive_read_open_fd(struct archive *a, int fd, size_t block)
{
	return need_archive() ? archive_syms.archive_read_open_fd(a, fd, block) : ARCHIVE_FATAL;
}

int archive_read_next_header(struct archive *a, struct archive_entry **e)
{
	return need_archive() ? archive_syms.archive_read_next_header(a, e) : ARCHIVE_FATAL;
}

la_ssize_t archive_read_data(struct archive *a, void *buf, size_t len)
{
	return need_archive() ? archive_syms.archive_read_data(a, buf, len) : ARCHIVE_FATAL;
}

int archive_read_free(struct archive *a)
{
	return a && need_archive() ? archive_syms.archive_read_free(a) : ARCHIVE_OK;
}

const char *archive_entry_pathname(struct archive_entry *e)
{
	return need_archive() ? archive_syms.archive_entry_pathname(e) : NULL;
}

__LA_MODE_T archive_entry_filetype(struct archive_entry *e)
{
	return need_archive() ? archive_syms.archive_entry_filetype(e) : 0;
}

la_int64_t archive_entry_size(struct archive_entry *e)
{
	return need_archive() ? archive_syms.archive_entry_size(e) : 0;
}

/* ---- libsystemd (sd-bus: firstboot/systemd_bus.c) ---- */
#define SD_SYMS(X) X(sd_bus_new) X(sd_bus_set_address) X(sd_bus_start) X(sd_bus_flush_close_unref) \
	X(sd_bus_call) X(sd_bus_message_new_method_call) X(sd_bus_message_unref) X(sd_bus_message_append_basic) \
	X(sd_bus_message_read_basic) X(sd_bus_message_enter_container) X(sd_bus_message_exit_container) \
	X(sd_bus_message_peek_type) X(sd_bus_error_free)
static struct { SD_SYMS(FIELD) } sd_syms;
static bool sd_ok;
static pthread_once_t sd_once = PTHREAD_ONCE_INIT;

static bool sd_lookup(void *h, const char *soname)
{
	__typeof__(sd_syms) *s = &sd_syms;
	SD_SYMS(LOOKUP)
	return true;
}

static void sd_load(void)
{
	void *h = lib_open("libsystemd.so.0");
	sd_ok = h && sd_lookup(h, "libsystemd.so.0");
}

static bool need_sd(void)
{
	pthread_once(&sd_once, sd_load);
	return sd_ok;
}

/* sd-bus reports failure as a negative errno; ELIBACC: the library could not be loaded. */
int sd_bus_new(sd_bus **ret)
{
	return need_sd() ? sd_syms.sd_bus_new(ret) : -ELIBACC;
}

int sd_bus_set_address(sd_bus *bus, const char *address)
{
	return need_sd() ? sd_syms.sd_bus_set_address(bus, address) : -ELIBACC;
}

int sd_bus_start(sd_bus *bus)
{
	return need_sd() ? sd_syms.sd_bus_start(bus) : -ELIBACC;
}

sd_bus *sd_bus_flush_close_unref(sd_bus *bus)
{
	return bus && need_sd() ? sd_syms.sd_bus_flush_close_unref(bus) : NULL;
}

int sd_bus_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, sd_bus_error *ret_error, sd_bus_message **reply)
{
	return need_sd() ? sd_syms.sd_bus_call(bus, m, usec, ret_error, reply) : -ELIBACC;
}

int sd_bus_message_new_method_call(sd_bus *bus, sd_bus_message **m, const char *destination, const char *path,
				   const char *interface, const char *member)
{
	return need_sd() ? sd_syms.sd_bus_message_new_method_call(bus, m, destination, path, interface, member)
			 : -ELIBACC;
}

sd_bus_message *sd_bus_message_unref(sd_bus_message *m)
{
	return m && need_sd() ? sd_syms.sd_bus_message_unref(m) : NULL;
}

int sd_bus_message_append_basic(sd_bus_message *m, char type, const void *p)
{
	return need_sd() ? sd_syms.sd_bus_message_append_basic(m, type, p) : -ELIBACC;
}

int sd_bus_message_read_basic(sd_bus_message *m, char type, void *p)
{
	return need_sd() ? sd_syms.sd_bus_message_read_basic(m, type, p) : -ELIBACC;
}

int sd_bus_message_enter_container(sd_bus_message *m, char type, const char *contents)
{
	return need_sd() ? sd_syms.sd_bus_message_enter_container(m, type, contents) : -ELIBACC;
}

int sd_bus_message_exit_container(sd_bus_message *m)
{
	return need_sd() ? sd_syms.sd_bus_message_exit_container(m) : -ELIBACC;
}

int sd_bus_message_peek_type(sd_bus_message *m, char *type, const char **contents)
{
	return need_sd() ? sd_syms.sd_bus_message_peek_type(m, type, contents) : -ELIBACC;
}

void sd_bus_error_free(sd_bus_error *e)
{
	if (e && need_sd())
		sd_syms.sd_bus_error_free(e);
}
