#include "images/artifact.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int sha256_file(const char *path, char hex[65])
{
	int fd = open_input(path, 0, SIZE_MAX);
	if (fd < 0)
		return fd;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	unsigned char chunk[65536];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, chunk, (unsigned long long)n);
	}
	close(fd);
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&st, md);
	sodium_bin2hex(hex, 65, md, sizeof md);
	return 0;
}

static size_t write_cb(char *p, size_t size, size_t n, void *ud)
{
	return fwrite(p, size, n, ud);
}

/* Download url to a temp file beside `dest`, check the hash, rename. */
static int download(const struct recipe_artifact *a, const char *dest)
{
	char *tmp = xasprintf("%s.tmp-XXXXXX", dest);
	int fd = mkstemp(tmp), e = 0;
	if (fd < 0) {
		e = log_error_errno(errno, "cannot create %s", tmp);
		free(tmp);
		return e;
	}
	FILE *f = fdopen(fd, "wb");
	CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, a->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	log_info("downloading artifact '%s' from %s", a->name, a->url);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (fclose(f) != 0 && rc == CURLE_OK)
		e = log_error_errno(errno, "cannot write %s", tmp);
	else if (rc != CURLE_OK) {
		log_error("artifact '%s': download of %s failed: %s", a->name, a->url,
		      *errbuf ? errbuf : curl_easy_strerror(rc));
		e = -EIO;
	}
	char hex[65];
	if (e == 0 && (e = sha256_file(tmp, hex)) < 0)
		e = log_error_errno(e, "cannot read %s", tmp);
	if (e == 0 && strcmp(hex, a->sha256)) {
		log_error("artifact '%s': checksum mismatch for %s: expected sha256 %s, got %s",
		      a->name, a->url, a->sha256, hex);
		e = -EBADMSG;
	}
	if (e == 0 && rename(tmp, dest) < 0)
		e = log_error_errno(errno, "cannot rename %s", tmp);
	if (e < 0)
		unlink(tmp);
	free(tmp);
	return e;
}


static bool all_zero(const char *hex)
{
	return strspn(hex, "0") == strlen(hex);
}

int artifact_check(const struct recipe_artifact *a, const char *override)
{
	if (override) {
		int fd = open_input(override, 0, SIZE_MAX);
		if (fd < 0) {
			log_error("artifact '%s': %s %s", a->name, override, input_strerror(fd));
			return fd;
		}
		close(fd);
		return 0;
	}
	if (a->local_only) {
		log_error("artifact '%s' has no download (%s): pass the file you have with --artifact %s=PATH",
			  a->name, a->local_only, a->name);
		return -ENOENT;
	}
	if (all_zero(a->sha256)) {
		log_error("artifact '%s' has no pinned sha256 yet: set it in the recipe "
			  "or pass --artifact %s=PATH", a->name, a->name);
		return -EINVAL;
	}
	return 0;
}

int artifact_resolve(const struct recipe_artifact *a, const char *override,
		     const char *cache_dir, char **path_out, char hex_out[65])
{
	int e = artifact_check(a, override);
	if (e < 0)
		return e;
	if (override) {
		if ((e = sha256_file(override, hex_out)) < 0) {
			log_error("artifact '%s': %s %s", a->name, override, input_strerror(e));
			return e;
		}
		log_info("artifact '%s': using %s (sha256 %s) instead of the pinned download",
			 a->name, override, hex_out);
		*path_out = xstrdup(override);
		return 0;
	}
	if (a->path) {
		if ((e = sha256_file(a->path, hex_out)) < 0) {
			log_error("artifact '%s': %s %s", a->name, a->path, input_strerror(e));
			return e;
		}
		if (strcmp(hex_out, a->sha256)) {
			log_error("artifact '%s': checksum mismatch for %s: expected sha256 %s, got %s",
				 a->name, a->path, a->sha256, hex_out);
			return -EBADMSG;
		}
		*path_out = xstrdup(a->path);
		return 0;
	}
	char *dir = path_join(cache_dir, "artifacts");
	if ((e = mkdir_p(dir, 0755)) < 0) {
		e = log_error_errno(e, "cannot create %s", dir);
		free(dir);
		return e;
	}
	char *dest = path_join(dir, a->sha256);
	free(dir);
	/* A cached copy is trusted only after re-hashing: the cache is not a
	 * security boundary, the pin is. */
	if (access(dest, F_OK) < 0 || sha256_file(dest, hex_out) < 0 || strcmp(hex_out, a->sha256)) {
		unlink(dest);
		if ((e = download(a, dest)) < 0) {
			free(dest);
			return e;
		}
	}
	memcpy(hex_out, a->sha256, 65);
	*path_out = dest;
	return 0;
}
