/* The daily archive of denied traffic; see archive_drops.h. */
#include "firstboot/archive_drops.h"
#include "firstboot/metrics.h"
#include "firstboot/s3.h"
#include "lib/cleanup.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/spawn.h"
#include "lib/xalloc.h"
#include "profiles/monitoring.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

int archive_day_parse(const char *day, int64_t *midnight)
{
	struct tm tm = { 0 };
	const char *end = day && strlen(day) == 10 ? strptime(day, "%Y-%m-%d", &tm) : NULL;
	if (!end || *end || tm.tm_year < 70)
		return -EINVAL;
	time_t t = timegm(&tm);
	struct tm back;
	char again[11];
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || !strftime(again, sizeof again, "%Y-%m-%d", &back) ||
	    strcmp(again, day))
		return -EINVAL;   /* 2023-02-30 and friends */
	*midnight = (int64_t)t;
	return 0;
}

static int gzip(const struct buf *in, struct buf *out)
{
	z_stream z = { 0 };
	if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	uLong bound = deflateBound(&z, (uLong)in->len);
	buf_reserve(out, bound);
	z.next_in = (Bytef *)(in->data ? in->data : "");
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)out->data + out->len;
	z.avail_out = (uInt)bound;
	int r = deflate(&z, Z_FINISH) == Z_STREAM_END ? 0 : -EIO;
	if (r == 0)
		out->len += z.total_out;
	deflateEnd(&z);
	return r;
}

static char *secret_file(const char *base, const char *name)
{
	char *p = xasprintf("%s%s/%s", base, KILN_SECRETS_DIR, name), *v = NULL;
	size_t len;
	int r = read_input(p, INPUT_NOFOLLOW | INPUT_PRIVATE, 4096, &v, &len);
	if (r < 0)
		log_error("%s %s", p, input_strerror(r));
	free(p);
	return r < 0 ? NULL : v;
}

int archive_drops_run(const char *root, const char *day)
{
	const char *base = strcmp(root, "/") ? root : "";
	struct metrics_conf conf;
	int r = metrics_conf_load(root, &conf);
	if (r < 0)
		return r;
	char yesterday[11], next[11];
	int64_t t;
	if (!day) {
		time_t y = time(NULL) - 86400;
		struct tm tm;
		strftime(yesterday, sizeof yesterday, "%Y-%m-%d", gmtime_r(&y, &tm));
		day = yesterday;
	}
	if (!conf.archive_bucket || !conf.archive_endpoint) {
		metrics_conf_free(&conf);
		return log_error_errno(ENOENT, "this host keeps no archive of denied traffic (monitoring.archive_drops)");
	}
	if (archive_day_parse(day, &t) < 0) {
		metrics_conf_free(&conf);
		return log_error_errno(EINVAL, "--day takes a date YYYY-MM-DD, not '%s'", day);
	}
	time_t n = (time_t)(t + 86400);
	struct tm tm;
	strftime(next, sizeof next, "%Y-%m-%d", gmtime_r(&n, &tm));
	_cleanup_free_ char *dir = xasprintf("%s/var/log/journal/remote", base);
	_cleanup_free_ char *since = xasprintf("%s 00:00:00 UTC", day), *until = xasprintf("%s 00:00:00 UTC", next);
	const char *argv[] = { "journalctl", "-D", dir, "--since", since, "--until", until, "--grep", "kiln-drop: ",
			       "-o", "short-iso", "--no-pager", "-q", NULL };
	struct buf lines, gz, err;
	buf_init(&lines);
	buf_init(&gz);
	buf_init(&err);
	int st = spawn_capture(argv, &lines, &err, ARCHIVE_MAX_BYTES);
	/* journalctl exits 1 when --grep matches nothing: an empty day is archived too */
	if (st != 0 && !(st == 1 && lines.len == 0))
		r = log_error_errno(EIO, "journalctl of %s failed (exit %d): %.200s", dir, st, err.data ? err.data : "");
	else if (lines.len >= ARCHIVE_MAX_BYTES)
		r = log_error_errno(EFBIG, "%s holds more than %u bytes of denied traffic for %s; not archived", dir,
				    ARCHIVE_MAX_BYTES, day);
	else if ((r = gzip(&lines, &gz)) < 0)
		log_error_errno(r, "compressing the drop log");
	char *ak = r == 0 ? secret_file(base, "minio_archive_access_key") : NULL;
	char *sk = ak ? secret_file(base, "minio_archive_secret_key") : NULL;
	if (r == 0 && !sk)
		r = -ENOKEY;
	if (r == 0) {
		_cleanup_free_ char *key = xasprintf("kiln-drops/%s/%s.log.gz", conf.deployment, day);
		struct s3_conn c = { .endpoint = conf.archive_endpoint, .access_key = ak, .secret_key = sk };
		char why[300] = "";
		size_t count = 0;
		for (size_t i = 0; i < lines.len; i++)
			count += lines.data[i] == '\n';
		if ((r = s3_put_object(&c, conf.archive_bucket, key, gz.data, gz.len, "application/gzip", why, sizeof why)) < 0)
			log_error("archiving the denied traffic of %s to %s/%s: %s", day, conf.archive_bucket, key, why);
		else
			log_info("archived %zu line%s of denied traffic of %s to %s/%s", count, count == 1 ? "" : "s", day,
				 conf.archive_bucket, key);
	}
	if (ak) {
		explicit_bzero(ak, strlen(ak));
		free(ak);
	}
	if (sk) {
		explicit_bzero(sk, strlen(sk));
		free(sk);
	}
	buf_free(&lines);
	buf_free(&gz);
	buf_free(&err);
	metrics_conf_free(&conf);
	return r;
}
