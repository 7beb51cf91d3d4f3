/* The installer media's payload (payload.h). */
#include "baremetal/payload.h"
#include "lib/buf.h"
#include "lib/fileio.h"
#include "lib/numparse.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAGIC "kiln-payload 1\n"
#define TEXT_ALIGN 4096u
#define DATA_ALIGN (1024u * 1024u)
#define CHUNK (8u << 20)
#define NAME_MAX_LEN 255

static uint64_t up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Where each part goes: header, bmap, sig, seed, data. */
struct plan {
	uint64_t off[4], len[4];   /* bmap, sig, seed, data */
	uint64_t total;
};

static void plan(const struct bm_payload_in *in, struct plan *p)
{
	uint64_t at = BM_PAYLOAD_HEADER;
	const size_t lens[3] = { in->bmap_len, in->sig_len, in->seed ? in->seed_len : 0 };
	for (int i = 0; i < 3; i++) {
		p->off[i] = at;
		p->len[i] = lens[i];
		at = up(at + lens[i], TEXT_ALIGN);
	}
	p->off[3] = up(at, DATA_ALIGN);
	p->len[3] = in->map->mapped_bytes;
	p->total = up(p->off[3] + p->len[3], DATA_ALIGN);
}

uint64_t bm_payload_size(const struct bm_payload_in *in)
{
	struct plan p;
	plan(in, &p);
	return p.total;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > NAME_MAX_LEN)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

int bm_payload_write(int out, uint64_t base, const struct bm_payload_in *in,
		     void (*progress)(void *ud, uint64_t done, uint64_t total), void *ud)
{
	const char *slash = strrchr(in->image, '/');
	const char *name = slash ? slash + 1 : in->image;
	if (!name_ok(name) || in->bmap_len > BMAP_MAX_BYTES || in->sig_len > BM_PAYLOAD_SIG_MAX ||
	    (in->seed && in->seed_len > BM_PAYLOAD_SEED_MAX))
		return -EINVAL;
	struct plan p;
	plan(in, &p);
	struct buf h;
	buf_init(&h);
	buf_printf(&h, MAGIC "image %s\nimage-size %" PRIu64 "\n", name, in->map->image_size);
	static const char *const keys[] = { "bmap", "bmap-sig", "seed", "data" };
	for (int i = 0; i < 4; i++)
		buf_printf(&h, "%s %" PRIu64 " %" PRIu64 "\n", keys[i], p.off[i], p.len[i]);
	buf_puts(&h, "end\n");
	uint8_t *block = xcalloc(1, BM_PAYLOAD_HEADER);
	memcpy(block, h.data, h.len);
	buf_free(&h);
	int r = pwrite_full(out, block, BM_PAYLOAD_HEADER, base);
	free(block);
	const char *texts[3] = { in->bmap, in->sig, in->seed };
	for (int i = 0; r == 0 && i < 3; i++)
		if (p.len[i])
			r = pwrite_full(out, texts[i], p.len[i], base + p.off[i]);
	if (r < 0)
		return r;
	int src = open(in->image, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -errno;
	uint8_t *b = xmalloc(CHUNK);
	uint64_t at = base + p.off[3], done = 0;
	for (size_t i = 0; r == 0 && i < in->map->n; i++) {
		const struct bm_range *rg = &in->map->v[i];
		for (uint64_t o = 0; r == 0 && o < rg->length; o += CHUNK) {
			size_t n = rg->length - o < CHUNK ? (size_t)(rg->length - o) : CHUNK;
			if ((r = pread_full(src, b, n, rg->offset + o)) == 0)
				r = pwrite_full(out, b, n, at);
			at += n;
			done += n;
			if (progress)
				progress(ud, done, p.len[3]);
		}
	}
	/* the tail up to the next MiB reads as zeros on a fresh file; write it
	 * on anything else */
	if (r == 0 && base + p.total > at) {
		memset(b, 0, (size_t)(base + p.total - at));
		r = pwrite_full(out, b, (size_t)(base + p.total - at), at);
	}
	free(b);
	close(src);
	return r;
}

/* ---- reading ---------------------------------------------------------------- */

static int bad(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* The next line "KEY REST"; *rest NUL-terminated in place. */
static bool line(char **p, char *end, const char *key, char **rest)
{
	char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t kl = strlen(key);
	if (!nl || (size_t)(nl - *p) <= kl + 1 || memcmp(*p, key, kl) != 0 || (*p)[kl] != ' ')
		return false;
	*nl = '\0';
	*rest = *p + kl + 1;
	*p = nl + 1;
	for (const char *c = *rest; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			return false;
	return true;
}

/* "OFFSET LENGTH" */
static bool extent(char *s, uint64_t *off, uint64_t *len)
{
	char *sp = strchr(s, ' ');
	if (!sp)
		return false;
	*sp = '\0';
	return parse_u64(s, 0, UINT64_MAX, off) == 0 && parse_u64(sp + 1, 0, UINT64_MAX, len) == 0;
}

int bm_payload_parse_header(const uint8_t *block, uint64_t limit, struct bm_payload *out, char *why,
			    size_t why_len)
{
	memset(out, 0, sizeof *out);
	out->fd = -1;
	size_t ml = strlen(MAGIC);
	if (memcmp(block, MAGIC, ml) != 0)
		return bad(why, why_len, "no kiln payload header");
	char *copy = xmalloc(BM_PAYLOAD_HEADER + 1);
	memcpy(copy, block, BM_PAYLOAD_HEADER);
	copy[BM_PAYLOAD_HEADER] = '\0';
	char *p = copy + ml, *end = copy + BM_PAYLOAD_HEADER, *v;
	static const char *const keys[] = { "bmap", "bmap-sig", "seed", "data" };
	static const uint64_t max[] = { BMAP_MAX_BYTES, BM_PAYLOAD_SIG_MAX, BM_PAYLOAD_SEED_MAX, UINT64_MAX };
	uint64_t off[4], len[4];
	int r = 0;
	if (!line(&p, end, "image", &v) || !name_ok(v))
		r = bad(why, why_len, "the header's image line is missing or not one printable word");
	else {
		out->image = xstrdup(v);
		if (!line(&p, end, "image-size", &v) || parse_u64(v, 1, UINT64_MAX, &out->image_size) < 0)
			r = bad(why, why_len, "the header's image-size line is missing or not a number");
	}
	for (int i = 0; r == 0 && i < 4; i++) {
		if (!line(&p, end, keys[i], &v) || !extent(v, &off[i], &len[i]))
			r = bad(why, why_len, "the header's %s line is missing or not \"OFFSET LENGTH\"", keys[i]);
		else if (len[i] > max[i])
			r = bad(why, why_len, "the %s is %" PRIu64 " bytes, over its limit", keys[i], len[i]);
		else if (off[i] < BM_PAYLOAD_HEADER || off[i] > limit || len[i] > limit - off[i])
			r = bad(why, why_len, "the %s (%" PRIu64 "+%" PRIu64 ") is outside the payload's %" PRIu64
				" bytes", keys[i], off[i], len[i], limit);
		else if (i > 0 && off[i] < off[i - 1] + len[i - 1])
			r = bad(why, why_len, "the %s overlaps the %s", keys[i], keys[i - 1]);
	}
	if (r == 0 && (p >= end || strncmp(p, "end\n", 4) != 0))
		r = bad(why, why_len, "the header does not end with \"end\"");
	if (r == 0 && (!len[0] || !len[1] || !len[3]))
		r = bad(why, why_len, "the payload has no block map, signature or data");
	/* nothing but zeros after "end" */
	for (char *z = p + 4; r == 0 && z < end; z++)
		if (*z)
			r = bad(why, why_len, "the header has bytes after \"end\"");
	free(copy);
	if (r < 0) {
		bm_payload_free(out);
		return r;
	}
	out->bmap_len = (size_t)len[0];
	out->sig_len = (size_t)len[1];
	out->seed_len = (size_t)len[2];
	out->data_off = off[3];
	out->data_len = len[3];
	out->bmap_off = off[0];
	out->sig_off = off[1];
	out->seed_off = off[2];
	return 0;
}

static int read_text(int fd, uint64_t at, size_t len, char **out)
{
	*out = xmalloc(len + 1);
	(*out)[len] = '\0';
	return len ? pread_full(fd, *out, len, at) : 0;
}

int bm_payload_open(int fd, uint64_t base, uint64_t limit, const char *name, struct bm_payload *out, char *why,
		    size_t why_len)
{
	uint8_t *block = xmalloc(BM_PAYLOAD_HEADER);
	int r = limit < BM_PAYLOAD_HEADER ? -EBADMSG : pread_full(fd, block, BM_PAYLOAD_HEADER, base);
	if (r == -EBADMSG)
		snprintf(why, why_len, "the payload area is smaller than its header");
	else if (r < 0)
		snprintf(why, why_len, "reading the header: %s", strerror(-r));
	if (r == 0)
		r = bm_payload_parse_header(block, limit, out, why, why_len);
	free(block);
	if (r < 0)
		return r;
	out->fd = fd;
	out->base = base;
	out->name = xstrdup(name);
	if ((r = read_text(fd, base + out->bmap_off, out->bmap_len, &out->bmap)) < 0 ||
	    (r = read_text(fd, base + out->sig_off, out->sig_len, &out->sig)) < 0 ||
	    (r = read_text(fd, base + out->seed_off, out->seed_len, &out->seed)) < 0) {
		snprintf(why, why_len, "reading the payload's texts: %s", strerror(-r));
		bm_payload_free(out);
		return r;
	}
	if (strlen(out->bmap) != out->bmap_len || strlen(out->sig) != out->sig_len ||
	    strlen(out->seed) != out->seed_len) {
		bm_payload_free(out);
		return bad(why, why_len, "a text of the payload holds a NUL byte");
	}
	return 0;
}

void bm_payload_free(struct bm_payload *p)
{
	free(p->name);
	free(p->image);
	free(p->bmap);
	free(p->sig);
	free(p->seed);
	memset(p, 0, sizeof *p);
	p->fd = -1;
}
