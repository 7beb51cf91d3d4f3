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

/* Where each part goes after the header: bmap, sig, the seeds, data. */
struct plan {
	uint64_t *off, *len;       /* [n]: bmap, sig, seeds..., data */
	size_t n;
	uint64_t total;
};

static void plan(const struct bm_payload_in *in, struct plan *p)
{
	p->n = in->n_seeds + 3;
	p->off = xcalloc(p->n, sizeof *p->off);
	p->len = xcalloc(p->n, sizeof *p->len);
	uint64_t at = BM_PAYLOAD_HEADER;
	for (size_t i = 0; i + 1 < p->n; i++) {
		p->off[i] = at;
		p->len[i] = i == 0 ? in->bmap_len : i == 1 ? in->sig_len : in->seeds[i - 2].data ? in->seeds[i - 2].len : 0;
		at = up(at + p->len[i], TEXT_ALIGN);
	}
	p->off[p->n - 1] = up(at, DATA_ALIGN);
	p->len[p->n - 1] = in->map->mapped_bytes;
	p->total = up(p->off[p->n - 1] + p->len[p->n - 1], DATA_ALIGN);
}

static void plan_free(struct plan *p)
{
	free(p->off);
	free(p->len);
}

uint64_t bm_payload_size(const struct bm_payload_in *in)
{
	struct plan p;
	plan(in, &p);
	plan_free(&p);
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
	if (!name_ok(name) || in->bmap_len > BMAP_MAX_BYTES || in->sig_len > BM_PAYLOAD_SIG_MAX || !in->n_seeds ||
	    in->n_seeds > BM_PAYLOAD_SEEDS)
		return -EINVAL;
	for (size_t i = 0; i < in->n_seeds; i++)
		if (in->seeds[i].data && in->seeds[i].len > BM_PAYLOAD_SEED_MAX)
			return -EINVAL;
	struct plan p;
	plan(in, &p);
	struct buf h;
	buf_init(&h);
	buf_printf(&h, MAGIC "image %s\nimage-size %" PRIu64 "\n", name, in->map->image_size);
	for (size_t i = 0; i < p.n; i++)
		buf_printf(&h, "%s %" PRIu64 " %" PRIu64 "\n", i == 0 ? "bmap" : i == 1 ? "bmap-sig" : i + 1 < p.n ?
			   "seed" : "data", p.off[i], p.len[i]);
	buf_puts(&h, "end\n");
	int r = h.len > BM_PAYLOAD_HEADER ? -EINVAL : 0;
	uint8_t *block = xcalloc(1, BM_PAYLOAD_HEADER);
	if (r == 0) {
		memcpy(block, h.data, h.len);
		r = pwrite_full(out, block, BM_PAYLOAD_HEADER, base);
	}
	buf_free(&h);
	free(block);
	for (size_t i = 0; r == 0 && i + 1 < p.n; i++)
		if (p.len[i])
			r = pwrite_full(out, i == 0 ? in->bmap : i == 1 ? in->sig : in->seeds[i - 2].data, p.len[i],
					base + p.off[i]);
	uint64_t data_off = p.off[p.n - 1], data_len = p.len[p.n - 1], total = p.total;
	plan_free(&p);
	if (r < 0)
		return r;
	int src = open(in->image, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return -errno;
	uint8_t *b = xmalloc(CHUNK);
	uint64_t at = base + data_off, done = 0;
	for (size_t i = 0; r == 0 && i < in->map->n; i++) {
		const struct bm_range *rg = &in->map->v[i];
		for (uint64_t o = 0; r == 0 && o < rg->length; o += CHUNK) {
			size_t n = rg->length - o < CHUNK ? (size_t)(rg->length - o) : CHUNK;
			if ((r = pread_full(src, b, n, rg->offset + o)) == 0)
				r = pwrite_full(out, b, n, at);
			at += n;
			done += n;
			if (progress)
				progress(ud, done, data_len);
		}
	}
	/* the tail up to the next MiB reads as zeros on a fresh file; write it
	 * on anything else */
	if (r == 0 && base + total > at) {
		memset(b, 0, (size_t)(base + total - at));
		r = pwrite_full(out, b, (size_t)(base + total - at), at);
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

/* One "KEY OFFSET LENGTH" line, checked against the limits and the part
 * before it (prev_end: where that one ends). */
static int part_line(char **p, char *end, const char *key, uint64_t max, uint64_t limit, uint64_t prev_end,
		     uint64_t *off, uint64_t *len, char *why, size_t why_len)
{
	char *v;
	if (!line(p, end, key, &v) || !extent(v, off, len))
		return bad(why, why_len, "the header's %s line is missing or not \"OFFSET LENGTH\"", key);
	if (*len > max)
		return bad(why, why_len, "the %s is %" PRIu64 " bytes, over its limit", key, *len);
	if (*off < BM_PAYLOAD_HEADER || *off > limit || *len > limit - *off)
		return bad(why, why_len, "the %s (%" PRIu64 "+%" PRIu64 ") is outside the payload's %" PRIu64 " bytes",
			   key, *off, *len, limit);
	if (*off < prev_end)
		return bad(why, why_len, "the %s overlaps the part before it", key);
	return 0;
}

static bool next_is(const char *p, const char *end, const char *key)
{
	size_t kl = strlen(key);
	return (size_t)(end - p) > kl && !memcmp(p, key, kl) && p[kl] == ' ';
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
	int r = 0;
	if (!line(&p, end, "image", &v) || !name_ok(v))
		r = bad(why, why_len, "the header's image line is missing or not one printable word");
	else {
		out->image = xstrdup(v);
		if (!line(&p, end, "image-size", &v) || parse_u64(v, 1, UINT64_MAX, &out->image_size) < 0)
			r = bad(why, why_len, "the header's image-size line is missing or not a number");
	}
	uint64_t len = 0;
	if (r == 0)
		r = part_line(&p, end, "bmap", BMAP_MAX_BYTES, limit, 0, &out->bmap_off, &len, why, why_len);
	out->bmap_len = (size_t)len;
	if (r == 0)
		r = part_line(&p, end, "bmap-sig", BM_PAYLOAD_SIG_MAX, limit, out->bmap_off + out->bmap_len,
			      &out->sig_off, &len, why, why_len);
	out->sig_len = (size_t)len;
	uint64_t prev_end = out->sig_off + out->sig_len;
	for (size_t cap = 0; r == 0 && (!out->n_seeds || next_is(p, end, "seed")); out->n_seeds++) {
		if (out->n_seeds == BM_PAYLOAD_SEEDS) {
			r = bad(why, why_len, "the header lists more than %u seeds", BM_PAYLOAD_SEEDS);
			break;
		}
		out->seeds = xgrow(out->seeds, &cap, out->n_seeds + 1, sizeof *out->seeds);
		struct bm_payload_seed *sd = memset(&out->seeds[out->n_seeds], 0, sizeof *out->seeds);
		if ((r = part_line(&p, end, "seed", BM_PAYLOAD_SEED_MAX, limit, prev_end, &sd->off, &len, why,
				   why_len)) < 0)
			break;
		sd->len = (size_t)len;
		prev_end = sd->off + sd->len;
	}
	if (r == 0)
		r = part_line(&p, end, "data", UINT64_MAX, limit, prev_end, &out->data_off, &out->data_len, why,
			      why_len);
	if (r == 0 && (p >= end || strncmp(p, "end\n", 4) != 0))
		r = bad(why, why_len, "the header does not end with \"end\"");
	if (r == 0 && (!out->bmap_len || !out->sig_len || !out->data_len))
		r = bad(why, why_len, "the payload has no block map, signature or data");
	/* nothing but zeros after "end" */
	for (char *z = p + 4; r == 0 && z < end; z++)
		if (*z)
			r = bad(why, why_len, "the header has bytes after \"end\"");
	free(copy);
	if (r < 0)
		bm_payload_free(out);
	return r;
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
	r = read_text(fd, base + out->bmap_off, out->bmap_len, &out->bmap);
	if (r == 0)
		r = read_text(fd, base + out->sig_off, out->sig_len, &out->sig);
	for (size_t i = 0; r == 0 && i < out->n_seeds; i++)
		r = read_text(fd, base + out->seeds[i].off, out->seeds[i].len, &out->seeds[i].text);
	if (r < 0) {
		snprintf(why, why_len, "reading the payload's texts: %s", strerror(-r));
		bm_payload_free(out);
		return r;
	}
	bool nul = strlen(out->bmap) != out->bmap_len || strlen(out->sig) != out->sig_len;
	for (size_t i = 0; i < out->n_seeds; i++)
		nul |= strlen(out->seeds[i].text) != out->seeds[i].len;
	if (nul) {
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
	for (size_t i = 0; i < p->n_seeds; i++)
		free(p->seeds[i].text);
	free(p->seeds);
	memset(p, 0, sizeof *p);
	p->fd = -1;
}
