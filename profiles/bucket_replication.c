#include "profiles/bucket_replication.h"
#include "profiles/backup.h"   /* the endpoint and region rules backup.s3 has */
#include "profiles/names.h"
#include "lib/xalloc.h"
#include <stdlib.h>
#include <string.h>

void parse_bucket_replica(struct ctx *c, struct bucket *b, const struct ynode *n)
{
	static const char *const keys[] = { "endpoint", "bucket", "region", NULL };
	const char *why;
	if (!expect_map(c, n, "replicate_to", keys))
		return;
	struct bucket_replica *r = xcalloc(1, sizeof *r);
	r->pos = pos_of(c, n);
	b->replicate_to = r;
	if (!get_str(c, n, "endpoint", &r->endpoint))
		err_at(c, n, "replicate_to needs endpoint: the remote S3 endpoint's URL, http(s)://HOST[:PORT]");
	else if (!backup_endpoint_valid(r->endpoint))
		err_at(c, ytree_get(n, "endpoint"), "replicate_to.endpoint '%s' must be http(s)://HOST[:PORT] "
						    "(no path, user or query)", r->endpoint);
	if (!get_str(c, n, "bucket", &r->bucket))
		err_at(c, n, "replicate_to needs bucket: the remote endpoint's bucket (versioned) to replicate into");
	else if ((why = name_check_s3_bucket(r->bucket)))
		err_at(c, ytree_get(n, "bucket"), "bucket name '%s' %s", r->bucket, why);
	if (get_str(c, n, "region", &r->region) && !backup_region_valid(r->region))
		err_at(c, ytree_get(n, "region"), "replicate_to.region '%s' must be 1-32 of a-z 0-9 -", r->region);
	if (!r->region)
		r->region = xstrdup(BACKUP_S3_REGION_DEFAULT);
	/* one key pair: one endpoint; and each remote bucket one source's */
	for (const struct bucket *o = c->m->roles.minio.buckets; o < b; o++) {
		const struct bucket_replica *f = o->replicate_to;
		if (!f || !f->endpoint || !r->endpoint)
			continue;
		if (strcmp(r->endpoint, f->endpoint) || strcmp(r->region, f->region))
			err_at(c, n, "replicate_to: every replicated bucket goes to the same endpoint and region as "
				     "bucket '%s''s (%s, %s): one key pair, secrets " REPLICATION_ACCESS_KEY " and "
				     REPLICATION_SECRET_KEY, o->name, f->endpoint, f->region);
		else if (r->bucket && f->bucket && !strcmp(r->bucket, f->bucket))
			err_at(c, ytree_get(n, "bucket"), "remote bucket '%s' is already bucket '%s''s replica", r->bucket,
			       o->name);
	}
	/* MinIO replicates only versioned buckets (both sides): the remote's is
	 * checked at first boot, by MinIO, when the target is registered. */
	if (!b->versioning)
		err_at(c, n, "bucket '%s': replicate_to needs versioning: true on the bucket (MinIO replicates "
			     "versioned buckets only; the remote bucket must be versioned too)", b->name ? b->name : "");
}

size_t replication_count(const struct model *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->roles.minio.n_buckets; i++)
		n += m->roles.minio.buckets[i].replicate_to != NULL;
	return n;
}

bool replication_on(const struct model *m)
{
	return replication_count(m) > 0;
}
