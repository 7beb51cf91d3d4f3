/* EBS direct API upload of a raw image; see ebs_upload.h. */
#include "ec2/ebs_upload.h"
#include "lib/b64.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/yaml_tree.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define GIB (UINT64_C(1) << 30)

unsigned ebs_volume_gib(uint64_t bytes)
{
	uint64_t g = (bytes + GIB - 1) / GIB;
	return g ? (g > UINT32_MAX ? UINT32_MAX : (unsigned)g) : 1;
}

static void sha256(const void *p, size_t n, uint8_t out[32])
{
	/* OpenSSL's SHA-256 uses the CPU's SHA extensions: several GB/s. */
	EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL);
}

static void b64_32(const uint8_t d[32], char out[45])
{
	struct buf b;
	buf_init(&b);
	b64_append(&b, d, 32);
	memcpy(out, b.data, 44);
	out[44] = 0;
	buf_free(&b);
}

void ebs_checksum_linear(const uint8_t (*digests)[32], size_t n, char out[45])
{
	uint8_t d[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, digests, n * 32);
	EVP_DigestFinal_ex(c, d, NULL);
	EVP_MD_CTX_free(c);
	b64_32(d, out);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- reading the image: the blocks that hold data, in index order */

struct scan {
	int fd;
	const char *path;
	uint64_t size, off;
	bool seek_data;         /* SEEK_DATA works here (not on some block devices) */
};

static bool all_zero(const uint8_t *p, size_t n)
{
	return p[0] == 0 && !memcmp(p, p + 1, n - 1);
}

/* 1 with the next non-zero block in buf and its index, 0 at the end, -errno. */
static int scan_next(struct scan *s, uint8_t *buf, uint64_t *index)
{
	for (;;) {
		if (s->off >= s->size)
			return 0;
		if (s->seek_data) {
			off_t d = lseek(s->fd, (off_t)s->off, SEEK_DATA);
			if (d < 0 && errno == ENXIO)
				return 0;   /* only a hole is left */
			if (d < 0 && errno == EINVAL)
				s->seek_data = false;
			else if (d < 0)
				return log_error_errno(errno, "%s: cannot find data", s->path);
			else
				s->off = (uint64_t)d / EBS_BLOCK_SIZE * EBS_BLOCK_SIZE;
			if (s->off >= s->size)
				return 0;
		}
		size_t n = s->size - s->off < EBS_BLOCK_SIZE ? (size_t)(s->size - s->off) : EBS_BLOCK_SIZE;
		size_t got = 0;
		while (got < n) {
			ssize_t k = pread(s->fd, buf + got, n - got, (off_t)(s->off + got));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return log_error_errno(errno, "cannot read %s", s->path);
			if (k == 0)
				return log_error_errno(EIO, "%s shrank while it was read", s->path);
			got += (size_t)k;
		}
		if (n < EBS_BLOCK_SIZE)
			memset(buf + n, 0, EBS_BLOCK_SIZE - n);   /* the last block, padded */
		*index = s->off / EBS_BLOCK_SIZE;
		s->off += EBS_BLOCK_SIZE;
		if (!all_zero(buf, EBS_BLOCK_SIZE))
			return 1;
	}
}

/* ---- StartSnapshot / CompleteSnapshot */

static int json_field(const struct buf *resp, const char *key, char *out, size_t len)
{
	struct ynode *root = NULL;
	struct diags d = { 0 };
	int r = -ENOENT;
	if (resp->len && ytree_parse("response", resp->data, resp->len, &root, &d) == 0 && root &&
	    root->type == YN_MAP) {
		struct ynode *v = ytree_get(root, key);
		if (v && v->type == YN_SCALAR && v->value_len && v->value_len < len) {
			memcpy(out, v->value, v->value_len + 1);
			r = 0;
		}
	}
	ytree_free(root);
	diags_free(&d);
	return r;
}

static bool snapshot_id_ok(const char *s)
{
	if (strncmp(s, "snap-", 5) || !s[5])
		return false;
	for (s += 5; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

static int start_snapshot(const struct aws_service *ebs, const struct ebs_upload_opts *o, unsigned gib, char *id,
			  size_t id_len)
{
	uint8_t rnd[16];
	char token[33];
	randombytes_buf(rnd, sizeof rnd);   /* idempotency: a retried StartSnapshot makes no second snapshot */
	sodium_bin2hex(token, sizeof token, rnd, sizeof rnd);
	struct buf b, resp;
	buf_init(&b);
	buf_init(&resp);
	buf_printf(&b, "{\"VolumeSize\": %u, \"Description\": ", gib);
	json_str(&b, o->description);
	buf_printf(&b, ", \"ClientToken\": \"%s\", \"Timeout\": %u", token, o->timeout_min ? o->timeout_min : 60);
	if (o->name) {
		buf_puts(&b, ", \"Tags\": [{\"Key\": \"Name\", \"Value\": ");
		json_str(&b, o->name);
		buf_puts(&b, "}]");
	}
	buf_puts(&b, "}");
	struct aws_req r = { .method = "POST", .path = "/snapshots", .content_type = "application/json",
			     .body = b.data, .body_len = b.len };
	char why[512], bs[32] = "";
	int e = aws_request(ebs, &r, "StartSnapshot", &resp, why, sizeof why);
	if (e < 0)
		log_error("EBS StartSnapshot failed: %s", why);
	else if (json_field(&resp, "SnapshotId", id, id_len) < 0 || !snapshot_id_ok(id))
		e = log_error_errno(EBADMSG, "EBS StartSnapshot answered without a valid SnapshotId");
	else if (json_field(&resp, "BlockSize", bs, sizeof bs) == 0 && strcmp(bs, "524288")) {
		/* Keep the id: the caller names the snapshot left pending. */
		e = log_error_errno(EPROTO, "EBS snapshot block size is %s, kiln writes 524288-byte blocks", bs);
	}
	buf_free(&b);
	buf_free(&resp);
	return e;
}

static int complete_snapshot(const struct aws_service *ebs, const char *id, uint64_t changed, const char *checksum)
{
	char *path = xasprintf("/snapshots/completion/%s", id);
	char h1[64], h2[96];
	snprintf(h1, sizeof h1, "x-amz-changedblockscount: %" PRIu64, changed);
	snprintf(h2, sizeof h2, "x-amz-checksum: %s", checksum);
	const char *hdrs[] = { h1, h2, "x-amz-checksum-algorithm: SHA256", "x-amz-checksum-aggregation-method: LINEAR",
			       NULL };
	struct aws_req r = { .method = "POST", .path = path, .headers = hdrs };
	struct buf resp;
	buf_init(&resp);
	char why[512], status[32] = "";
	int e = aws_request(ebs, &r, "CompleteSnapshot", &resp, why, sizeof why);
	if (e < 0)
		log_error("EBS CompleteSnapshot of %s failed: %s", id, why);
	else if (json_field(&resp, "Status", status, sizeof status) == 0 && !strcmp(status, "error"))
		e = log_error_errno(EIO, "EBS CompleteSnapshot: snapshot %s is in state error", id);
	buf_free(&resp);
	free(path);
	return e;
}

/* ---- the blocks, several in flight */

struct slot {
	struct aws_call call;
	uint8_t *data;
	uint64_t index;
	char path[96], h_len[48], h_sum[64];
	const char *hdrs[4];
	unsigned attempt;
	bool busy, active;
	uint64_t ready_at;      /* monotonic ms; a retry waits until then */
};

struct progress {
	int on, tty;
	uint64_t start, last;
};

static void progress_show(struct progress *p, const struct scan *s, const struct ebs_upload_result *res, bool final)
{
	if (!p->on)
		return;
	uint64_t t = now_ms();
	unsigned pct = s->size ? (unsigned)((s->off > s->size ? s->size : s->off) * 100 / s->size) : 100;
	if (final)
		pct = 100;
	/* A terminal line redrawn 4 times a second; a log line every 5 s. */
	if (!final && t - p->last < (p->tty ? 250u : 5000u))
		return;
	p->last = t;
	double secs = (double)(t - p->start) / 1000.0;
	double mib = (double)res->blocks_sent * EBS_BLOCK_SIZE / (1 << 20);
	fprintf(stderr, "%skiln: ebs: %3u%% of %" PRIu64 " MiB read, %" PRIu64 " blocks sent (%.0f MiB, %.1f MiB/s, "
			"%.0f blocks/s)%s",
		p->tty ? "\r" : "", pct, res->image_bytes >> 20, res->blocks_sent, mib, secs > 0 ? mib / secs : 0.0,
		secs > 0 ? (double)res->blocks_sent / secs : 0.0, p->tty && !final ? "" : "\n");
	fflush(stderr);
}

static int slot_start(struct slot *sl, const struct aws_service *ebs, const char *id, CURLM *m)
{
	snprintf(sl->path, sizeof sl->path, "/snapshots/%s/blocks/%" PRIu64, id, sl->index);
	sl->hdrs[0] = sl->h_len;
	sl->hdrs[1] = sl->h_sum;
	sl->hdrs[2] = "x-amz-checksum-algorithm: SHA256";
	sl->hdrs[3] = NULL;
	struct aws_req r_req = { .method = "PUT", .path = sl->path, .content_type = "application/octet-stream",
				 .body = sl->data, .body_len = EBS_BLOCK_SIZE, .headers = sl->hdrs,
				 .unsigned_payload = true };
	/* The headers are copied; path and body must live until the transfer ends. */
	int r = aws_call_setup(&sl->call, ebs, &r_req);
	if (r < 0) {
		aws_call_cleanup(&sl->call);
		return log_error_errno(r, "cannot set up PutSnapshotBlock %" PRIu64, sl->index);
	}
	curl_easy_setopt(sl->call.h, CURLOPT_PRIVATE, sl);
	if (curl_multi_add_handle(m, sl->call.h) != CURLM_OK) {
		aws_call_cleanup(&sl->call);
		return log_error_errno(ENOMEM, "libcurl cannot add a transfer");
	}
	sl->active = true;
	return 0;
}

static int put_blocks(const struct aws_service *ebs, const struct ebs_upload_opts *o, struct scan *s, const char *id,
		      struct ebs_upload_result *res, uint8_t (**digests)[32], size_t *n_digests)
{
	unsigned jobs = o->jobs ? o->jobs : 16;
	struct slot *slots = xcalloc(jobs, sizeof *slots);
	for (unsigned i = 0; i < jobs; i++)
		slots[i].data = xmalloc(EBS_BLOCK_SIZE);
	CURLM *m = curl_multi_init();
	size_t cap = 0;
	bool scan_done = false;
	int r = 0;
	struct progress pr = { .on = o->progress, .tty = isatty(STDERR_FILENO), .start = now_ms() };
	pr.last = pr.start;
	if (!m) {
		r = log_error_errno(ENOMEM, "libcurl cannot make a multi handle");
		goto out;
	}
	for (;;) {
		uint64_t now = now_ms(), wake = now + 1000;
		bool busy = false;
		for (unsigned i = 0; i < jobs; i++) {
			struct slot *sl = &slots[i];
			if (!sl->busy && !scan_done) {
				int k = scan_next(s, sl->data, &sl->index);
				if (k < 0) {
					r = k;
					goto out;
				}
				if (k == 0)
					scan_done = true;
				else {
					/* Read in index order, so the digests are too (LINEAR wants that). */
					*digests = xgrow(*digests, &cap, *n_digests + 1, sizeof **digests);
					sha256(sl->data, EBS_BLOCK_SIZE, (*digests)[*n_digests]);
					char sum[45];
					b64_32((*digests)[*n_digests], sum);
					(*n_digests)++;
					snprintf(sl->h_len, sizeof sl->h_len, "x-amz-data-length: %u", EBS_BLOCK_SIZE);
					snprintf(sl->h_sum, sizeof sl->h_sum, "x-amz-checksum: %s", sum);
					sl->busy = true;
					sl->attempt = 1;
					sl->ready_at = 0;
				}
			}
			if (sl->busy && !sl->active) {
				if (sl->ready_at <= now) {
					if ((r = slot_start(sl, ebs, id, m)) < 0)
						goto out;
				}
				else if (sl->ready_at < wake)
					wake = sl->ready_at;
			}
			busy |= sl->busy;
		}
		if (!busy && scan_done)
			break;
		int running;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int left;
		bool freed = false;   /* a slot to refill: loop again at once, not after a poll */
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct slot *sl = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
			CURLcode cc = msg->data.result;
			long http;
			enum aws_outcome oc = aws_call_outcome(&sl->call, cc, &http);
			char why[512] = "";
			if (oc != AWS_DONE)
				aws_call_reason(&sl->call, cc, http, why, sizeof why);
			curl_multi_remove_handle(m, sl->call.h);
			aws_call_cleanup(&sl->call);
			sl->active = false;
			if (oc == AWS_DONE) {
				sl->busy = false;
				freed = true;
				res->blocks_sent++;
			} else if (oc == AWS_RETRY && sl->attempt < AWS_MAX_ATTEMPTS) {
				unsigned ms = aws_backoff_ms(++sl->attempt);
				res->retries++;
				log_warn("PutSnapshotBlock %" PRIu64 ": %s; retrying in %u ms (attempt %u of %u)", sl->index,
					 why, ms, sl->attempt, AWS_MAX_ATTEMPTS);
				sl->ready_at = now_ms() + ms;
			} else {
				log_error("EBS PutSnapshotBlock %" PRIu64 " of %s failed: %s", sl->index, id, why);
				r = http == 401 || http == 403 ? -EACCES : cc != CURLE_OK ? -EIO : -EPROTO;
				goto out;
			}
		}
		progress_show(&pr, s, res, false);
		if (freed && !scan_done)
			continue;
		now = now_ms();
		int wait = wake > now ? (int)(wake - now) : 0;
		curl_multi_poll(m, NULL, 0, wait < 200 ? wait : 200, NULL);
	}
	progress_show(&pr, s, res, true);
out:
	for (unsigned i = 0; i < jobs; i++) {
		if (slots[i].active)
			curl_multi_remove_handle(m, slots[i].call.h);
		if (slots[i].call.h)
			aws_call_cleanup(&slots[i].call);
		free(slots[i].data);
	}
	free(slots);
	if (m)
		curl_multi_cleanup(m);
	return r;
}

int ebs_upload(const struct aws_service *ebs, const struct ebs_upload_opts *o, struct ebs_upload_result *res)
{
	memset(res, 0, sizeof *res);
	struct scan s = { .path = o->image, .seek_data = true };
	s.fd = open(o->image, O_RDONLY | O_CLOEXEC);
	if (s.fd < 0)
		return log_error_errno(errno, "cannot open %s", o->image);
	struct stat st;
	int r = 0;
	off_t end;
	if (fstat(s.fd, &st) < 0) {
		r = log_error_errno(errno, "cannot stat %s", o->image);
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		r = log_error_errno(EINVAL, "%s is not a regular file or block device", o->image);
		goto out;
	}
	end = lseek(s.fd, 0, SEEK_END);
	if (end <= 0) {
		r = log_error_errno(end < 0 ? errno : EINVAL, "%s is empty or its size is unknown", o->image);
		goto out;
	}
	s.size = res->image_bytes = (uint64_t)end;
	res->volume_gib = ebs_volume_gib(s.size);
	if (res->volume_gib > EBS_MAX_GIB) {
		r = log_error_errno(EFBIG, "%s is larger than EBS's %u GiB limit", o->image, EBS_MAX_GIB);
		goto out;
	}
	if ((r = start_snapshot(ebs, o, res->volume_gib, res->snapshot_id, sizeof res->snapshot_id)) < 0)
		goto out;
	/* Always said: if kiln is interrupted, the operator knows what is pending. */
	log_info("snapshot %s started (%u GiB); sending the blocks of %s that hold data", res->snapshot_id,
		 res->volume_gib, o->image);
	uint8_t (*digests)[32] = NULL;
	size_t n = 0;
	r = put_blocks(ebs, o, &s, res->snapshot_id, res, &digests, &n);
	if (r == 0) {
		char sum[45];
		ebs_checksum_linear((const uint8_t (*)[32])digests, n, sum);
		res->blocks_skipped = (s.size + EBS_BLOCK_SIZE - 1) / EBS_BLOCK_SIZE - res->blocks_sent;
		r = complete_snapshot(ebs, res->snapshot_id, res->blocks_sent, sum);
	}
	free(digests);
out:
	close(s.fd);
	return r;
}
