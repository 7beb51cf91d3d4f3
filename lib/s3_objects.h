/* Reading and pruning a bucket's objects over S3 (path-style, signed by
 * lib/aws_request): what the restore at first boot reads a backup bucket
 * with (the backup reader's key) and what `kiln backup prune` deletes with
 * (the object store's admin key). Keys are [A-Za-z0-9._/-] (backup object
 * names), so paths need no encoding. Every request is retried with
 * lib/aws_request's back-off. Does not log but retries; on failure *why says
 * the server's or libcurl's answer (never a secret). Errors: -EACCES
 * (refused), -ENOENT (no such bucket or key), -EPROTO, -ECONNREFUSED,
 * -ETIMEDOUT, -EIO; -EBADMSG for an answer that is no S3 listing. */
#ifndef KILN_S3_OBJECTS_H
#define KILN_S3_OBJECTS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"
#include "lib/s3_lock.h"

struct s3_target {
	const char *endpoint;      /* http(s)://host[:port], no trailing '/' */
	const char *access_key, *secret_key;
	const char *bucket;
	const char *region;        /* NULL: us-east-1 (MinIO's default) */
};

/* Every current object's key below prefix (ListObjectsV2, page by page),
 * sorted as S3 lists them (by key). keys malloc'd (s3_keys_free). */
int s3_list_keys(const struct s3_target *t, const char *prefix, char ***keys, size_t *n, char *why, size_t why_len);
void s3_keys_free(char **keys, size_t n);
/* Parses one ListObjectsV2 page: appends its <Contents><Key>s that are
 * backup object names ('/'-separated segments of [A-Za-z0-9._-], none
 * empty, "." or "..": others are skipped, so an object someone put under
 * another name cannot stop a restore) and sets *next to the continuation
 * token (malloc'd) when it is truncated, NULL when not. -EBADMSG for an
 * answer that is no listing. */
int s3_list_page_parse(const char *xml, size_t len, char ***keys, size_t *n, size_t *cap, char **next);

/* GetObject into fd (truncated first, and again before each retry). */
int s3_get_to_fd(const struct s3_target *t, const char *key, int fd, uint64_t *bytes, char *why, size_t why_len);

/* DeleteObject: in a versioned bucket the current version gives way to a
 * delete marker (the store keeps the old version until its own lifecycle
 * removes it); 0 also when there was no such key. */
int s3_delete_key(const struct s3_target *t, const char *key, char *why, size_t why_len);

/* Versions (ListObjectVersions) and object lock (lib/s3_lock.h). */
struct s3_version {
	char *key, *version_id;    /* version_id "null" in an unversioned bucket */
	bool latest, delete_marker;
};
/* Every version and delete marker below prefix, page by page, in S3's order
 * (by key, newest first). Entries whose key is no backup object name are
 * skipped, as s3_list_keys skips them. v malloc'd (s3_versions_free). */
int s3_list_versions(const struct s3_target *t, const char *prefix, struct s3_version **v, size_t *n, char *why,
		     size_t why_len);
void s3_versions_free(struct s3_version *v, size_t n);
/* One ListObjectVersions page: appends its <Version>s and <DeleteMarker>s;
 * *next_key and *next_vid (malloc'd) are the markers of the next page when
 * it is truncated, NULL when not. -EBADMSG for an answer that is no listing
 * (an entry without a key or version id, truncated without markers). */
int s3_versions_page_parse(const char *xml, size_t len, struct s3_version **v, size_t *n, size_t *cap,
			   char **next_key, char **next_vid);
/* DeleteObject of one version (for good: no delete marker). -EPERM when
 * the bucket's object lock refused it (s3_lock_refused), the other errors
 * as s3_delete_key's. */
int s3_delete_version(const struct s3_target *t, const char *key, const char *version_id, char *why, size_t why_len);
/* GetObjectLockConfiguration: 0 with c->enabled false when the bucket has
 * no object lock (404 ObjectLockConfigurationNotFoundError); -EBADMSG for an
 * answer that is no configuration. */
int s3_lock_conf_get(const struct s3_target *t, struct s3_lock_conf *c, char *why, size_t why_len);
/* PutObjectLockConfiguration (with Content-MD5, which MinIO and S3 ask
 * for): the bucket's default retention, `days` in `mode`. -EINVAL for a
 * mode or days s3_lock_conf_xml refuses (nothing sent). */
int s3_lock_conf_put(const struct s3_target *t, enum s3_lock_mode mode, unsigned days, char *why, size_t why_len);
#endif
