/* bmap files (bmaptool's format 2.0) and the SEEK_DATA scan behind them. */
#include "baremetal/bmap.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCAN_CHUNK (4u << 20)
#define MAX_RANGES 10000000u
#define HEX_LEN 64

struct bm_sha256 {
	EVP_MD_CTX *ctx;
};

struct bm_sha256 *bm_sha256_new(void)
{
	struct bm_sha256 *s = xmalloc(sizeof *s);
	s->ctx = EVP_MD_CTX_new();
	if (!s->ctx || EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
		abort();
	return s;
}

void bm_sha256_update(struct bm_sha256 *s, const void *p, size_t n)
{
	if (EVP_DigestUpdate(s->ctx, p, n) != 1)
		abort();
}

void bm_sha256_final(struct bm_sha256 *s, uint8_t out[32])
{
	unsigned n = 0;
	if (EVP_DigestFinal_ex(s->ctx, out, &n) != 1 || n != 32 ||
	    EVP_DigestInit_ex(s->ctx, EVP_sha256(), NULL) != 1)
		abort();
}

void bm_sha256_free(struct bm_sha256 *s)
{
	if (s) {
		EVP_MD_CTX_free(s->ctx);
		free(s);
	}
}

void bm_map_free(struct bm_map *m)
{
	free(m->v);
	memset(m, 0, sizeof *m);
}

static void add_range(struct bm_map *m, size_t *cap, uint64_t off, uint64_t len)
{
	m->v = xgrow(m->v, cap, m->n + 1, sizeof *m->v);
	m->v[m->n++] = (struct bm_range){ .offset = off, .length = len };
	m->mapped_bytes += len;
}

/* Feed `len` zero bytes to the prehash. */
static void hash_zeros(crypto_generichash_state *whole, uint64_t len)
{
	static const uint8_t zeros[65536];
	while (len) {
		size_t n = len < sizeof zeros ? (size_t)len : sizeof zeros;
		crypto_generichash_update(whole, zeros, n);
		len -= n;
	}
}

/* Runs of data, widened to whole blocks and merged. */
static int find_runs(int fd, uint64_t size, uint32_t bs, struct bm_map *m)
{
	size_t cap = 0;
	uint64_t pos = 0;
	while (pos < size) {
		off_t d = lseek(fd, (off_t)pos, SEEK_DATA);
		if (d < 0 && errno == ENXIO)
			break;
		if (d < 0)
			return -errno;
		off_t h = lseek(fd, d, SEEK_HOLE);
		if (h < 0)
			return -errno;
		uint64_t start = (uint64_t)d / bs * bs, end = (uint64_t)h;
		if (end > size)
			end = size;
		if (end % bs)
			end = end / bs * bs + bs < size ? end / bs * bs + bs : size;
		if (start >= end)
			break;
		if (m->n && m->v[m->n - 1].offset + m->v[m->n - 1].length >= start) {
			struct bm_range *last = &m->v[m->n - 1];
			if (end > last->offset + last->length) {
				m->mapped_bytes += end - (last->offset + last->length);
				last->length = end - last->offset;
			}
		} else {
			if (m->n >= MAX_RANGES)
				return -E2BIG;
			add_range(m, &cap, start, end - start);
		}
		pos = end;
	}
	return 0;
}

/* Runs longer than BMAP_RANGE_MAX cut into pieces of at most that, each with
 * its own SHA-256: kiln install hashes ranges on several CPUs at once, and one
 * 250 MiB run would keep that on one. Still bmaptool's format (adjacent ranges
 * are allowed). */
static int split_long(struct bm_map *m, uint32_t bs)
{
	uint64_t max = BMAP_RANGE_MAX / bs * bs;
	size_t n = 0;
	for (size_t i = 0; i < m->n; i++)
		n += (size_t)((m->v[i].length + max - 1) / max);
	if (n == m->n)
		return 0;
	if (n > MAX_RANGES)
		return -E2BIG;
	struct bm_range *v = xcalloc(n, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++)
		for (uint64_t o = 0; o < m->v[i].length; o += max)
			v[k++] = (struct bm_range){ .offset = m->v[i].offset + o,
						    .length = m->v[i].length - o < max ? m->v[i].length - o : max };
	free(m->v);
	m->v = v;
	m->n = n;
	return 0;
}

int bm_map_scan(int fd, uint64_t size, uint32_t block_size, crypto_generichash_state *whole,
		const struct bm_watch *watch, struct bm_map *out)
{
	memset(out, 0, sizeof *out);
	out->image_size = size;
	out->block_size = block_size;
	int r = find_runs(fd, size, block_size, out);
	if (r == 0)
		r = split_long(out, block_size);
	if (r < 0) {
		bm_map_free(out);
		return r;
	}
	uint8_t *b = xmalloc(SCAN_CHUNK);
	struct bm_sha256 *sha = bm_sha256_new();
	uint64_t pos = 0, hashed = 0;
	bm_watch_report(watch, BM_PHASE_VERIFY, 0, out->mapped_bytes);
	for (size_t i = 0; i < out->n && r == 0; i++) {
		struct bm_range *rg = &out->v[i];
		if (whole)
			hash_zeros(whole, rg->offset - pos);
		for (uint64_t done = 0; done < rg->length && r == 0; ) {
			size_t n = rg->length - done < SCAN_CHUNK ? (size_t)(rg->length - done) : SCAN_CHUNK;
			r = bm_watch_cancelled(watch) ? -ECANCELED : pread_full(fd, b, n, rg->offset + done);
			if (r == 0) {
				bm_sha256_update(sha, b, n);
				if (whole)
					crypto_generichash_update(whole, b, n);
			}
			done += n;
			hashed += n;
			bm_watch_report(watch, BM_PHASE_VERIFY, hashed, out->mapped_bytes);
		}
		bm_sha256_final(sha, rg->sha256);
		pos = rg->offset + rg->length;
	}
	if (r == 0 && whole)
		hash_zeros(whole, size - pos);
	bm_sha256_free(sha);
	free(b);
	if (r < 0)
		bm_map_free(out);
	return r;
}

/* ---- writing ------------------------------------------------------------ */

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256_hex(const void *p, size_t n, char out[HEX_LEN + 1])
{
	uint8_t h[32];
	struct bm_sha256 *s = bm_sha256_new();
	bm_sha256_update(s, p, n);
	bm_sha256_final(s, h);
	bm_sha256_free(s);
	hex(h, 32, out);
}

static void w_elem(xmlTextWriterPtr w, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void w_elem(xmlTextWriterPtr w, const char *name, const char *fmt, ...)
{
	char v[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v, sizeof v, fmt, ap);
	va_end(ap);
	if (xmlTextWriterWriteElement(w, BAD_CAST name, BAD_CAST v) < 0)
		abort();
}

void bm_map_format(const struct bm_map *m, struct buf *out)
{
	static const char zero_sum[HEX_LEN + 1] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xb ? xmlNewTextWriterMemory(xb, 0) : NULL;
	if (!w)
		abort();
	uint64_t blocks = (m->image_size + m->block_size - 1) / m->block_size;
	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterSetIndentString(w, BAD_CAST "    ");
	xmlTextWriterStartDocument(w, "1.0", NULL, NULL);
	xmlTextWriterWriteComment(w, BAD_CAST " Block map of a kiln disk image (bmaptool format 2.0): the "
				  "ranges of blocks that hold data, each with its SHA-256. ");
	xmlTextWriterStartElement(w, BAD_CAST "bmap");
	xmlTextWriterWriteAttribute(w, BAD_CAST "version", BAD_CAST "2.0");
	w_elem(w, "ImageSize", " %" PRIu64 " ", m->image_size);
	w_elem(w, "BlockSize", " %" PRIu32 " ", m->block_size);
	w_elem(w, "BlocksCount", " %" PRIu64 " ", blocks);
	w_elem(w, "MappedBlocksCount", " %" PRIu64 " ", (m->mapped_bytes + m->block_size - 1) / m->block_size);
	w_elem(w, "ChecksumType", " sha256 ");
	w_elem(w, "BmapFileChecksum", " %s ", zero_sum);
	xmlTextWriterStartElement(w, BAD_CAST "BlockMap");
	for (size_t i = 0; i < m->n; i++) {
		const struct bm_range *r = &m->v[i];
		uint64_t first = r->offset / m->block_size;
		uint64_t last = (r->offset + r->length - 1) / m->block_size;
		char sum[HEX_LEN + 1];
		hex(r->sha256, 32, sum);
		xmlTextWriterStartElement(w, BAD_CAST "Range");
		xmlTextWriterWriteAttribute(w, BAD_CAST "chksum", BAD_CAST sum);
		if (first == last)
			xmlTextWriterWriteFormatString(w, " %" PRIu64 " ", first);
		else
			xmlTextWriterWriteFormatString(w, " %" PRIu64 "-%" PRIu64 " ", first, last);
		xmlTextWriterEndElement(w);
	}
	xmlTextWriterEndDocument(w);   /* closes every open element */
	xmlFreeTextWriter(w);

	/* BmapFileChecksum: SHA-256 of the file with the value all zeros. */
	char sum[HEX_LEN + 1];
	const char *text = (const char *)xmlBufferContent(xb);
	size_t len = (size_t)xmlBufferLength(xb);
	sha256_hex(text, len, sum);
	size_t at = out->len;
	buf_append(out, text, len);
	char *p = strstr(out->data + at, "<BmapFileChecksum> ");
	if (!p)
		abort();
	memcpy(p + strlen("<BmapFileChecksum> "), sum, HEX_LEN);
	xmlBufferFree(xb);
}

int bm_map_of_file(const char *path, struct buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	struct bm_map m;
	int r = fstat(fd, &st) < 0 ? -errno : !S_ISREG(st.st_mode) ? -EINVAL : st.st_size == 0 ? -ENODATA : 0;
	if (r == 0)
		r = bm_map_scan(fd, (uint64_t)st.st_size, BMAP_BLOCK_SIZE, NULL, NULL, &m);
	close(fd);
	if (r == 0) {
		bm_map_format(&m, out);
		bm_map_free(&m);
	}
	return r;
}

/* ---- reading ------------------------------------------------------------ */

struct parse {
	char *why;
	size_t why_len;
};

static int bad(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct parse *p, const char *fmt, ...)
{
	if (p->why && p->why_len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->why, p->why_len, fmt, ap);
		va_end(ap);
	}
	return -EBADMSG;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The text of s without surrounding white space, in a new string. */
static char *trimmed(const char *s)
{
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n && is_space(s[n - 1]))
		n--;
	return xstrndup(s, n);
}

/* Decimal without sign, leading '+' or overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	if (n == 0 || n > 20)
		return -1;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_hex32(const char *s, uint8_t out[32])
{
	if (strlen(s) != HEX_LEN)
		return -1;
	for (size_t i = 0; i < 32; i++) {
		int a = hex_nibble(s[2 * i]), b = hex_nibble(s[2 * i + 1]);
		if (a < 0 || b < 0)
			return -1;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return 0;
}

/* The only child text of a leaf element, trimmed; NULL when it has element
 * children or none. */
static char *leaf_text(xmlNodePtr n)
{
	for (xmlNodePtr c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return NULL;
	xmlChar *t = xmlNodeGetContent(n);
	if (!t)
		return NULL;
	char *s = trimmed((const char *)t);
	xmlFree(t);
	return s;
}

enum field { F_IMAGE_SIZE, F_BLOCK_SIZE, F_BLOCKS, F_MAPPED, F_CSUM_TYPE, F_FILE_CSUM, F_BLOCKMAP, F_N };
static const char *const field_names[F_N] = {
	"ImageSize", "BlockSize", "BlocksCount", "MappedBlocksCount", "ChecksumType",
	"BmapFileChecksum", "BlockMap",
};

static int parse_range(struct parse *p, xmlNodePtr n, struct bm_map *m, size_t *cap,
		       uint64_t blocks, uint64_t *next_block, uint64_t *mapped_blocks)
{
	if (xmlStrcmp(n->name, BAD_CAST "Range") != 0)
		return bad(p, "unexpected element <%s> in <BlockMap>", (const char *)n->name);
	xmlChar *cs = xmlGetProp(n, BAD_CAST "chksum");
	uint8_t sum[32];
	int ok = cs && parse_hex32((const char *)cs, sum) == 0;
	xmlFree(cs);
	if (!ok)
		return bad(p, "range %zu: chksum is not a SHA-256 in hex", m->n + 1);
	for (xmlAttrPtr a = n->properties; a; a = a->next)
		if (xmlStrcmp(a->name, BAD_CAST "chksum") != 0)
			return bad(p, "range %zu: unexpected attribute %s", m->n + 1, (const char *)a->name);
	char *t = leaf_text(n);
	if (!t)
		return bad(p, "range %zu: no block numbers", m->n + 1);
	uint64_t first, last;
	char *dash = strchr(t, '-');
	int e = dash ? parse_u64(t, (size_t)(dash - t), &first) | parse_u64(dash + 1, strlen(dash + 1), &last)
		     : parse_u64(t, strlen(t), &first);
	if (!dash)
		last = first;
	free(t);
	if (e)
		return bad(p, "range %zu: not FIRST-LAST block numbers", m->n + 1);
	if (last < first || last >= blocks)
		return bad(p, "range %zu: blocks %" PRIu64 "-%" PRIu64 " are outside the %" PRIu64 " blocks of the image",
			   m->n + 1, first, last, blocks);
	if (first < *next_block)
		return bad(p, "range %zu: blocks %" PRIu64 "-%" PRIu64 " overlap or precede the previous range",
			   m->n + 1, first, last);
	if (m->n >= MAX_RANGES)
		return bad(p, "more than %u ranges", MAX_RANGES);
	uint64_t off = first * m->block_size, end = (last + 1) * m->block_size;
	if (end > m->image_size)
		end = m->image_size;
	add_range(m, cap, off, end - off);
	memcpy(m->v[m->n - 1].sha256, sum, 32);
	*next_block = last + 1;
	*mapped_blocks += last - first + 1;
	return 0;
}

/* SHA-256 of the file with every copy of the stated checksum replaced by
 * zeros, as bmaptool computes it. */
static bool file_checksum_ok(const char *xml, size_t len, const char *stated)
{
	char *copy = xmalloc(len + 1);
	memcpy(copy, xml, len);
	copy[len] = '\0';
	for (char *s = copy; (s = memmem(s, len - (size_t)(s - copy), stated, HEX_LEN)); s += HEX_LEN)
		memset(s, '0', HEX_LEN);
	char sum[HEX_LEN + 1];
	sha256_hex(copy, len, sum);
	free(copy);
	return strcasecmp(sum, stated) == 0;
}

static int parse_doc(struct parse *p, xmlDocPtr doc, const char *xml, size_t len, struct bm_map *m)
{
	if (doc->intSubset || doc->extSubset)
		return bad(p, "a DOCTYPE is not allowed");
	xmlNodePtr root = xmlDocGetRootElement(doc);
	if (!root || xmlStrcmp(root->name, BAD_CAST "bmap") != 0)
		return bad(p, "the root element is not <bmap>");
	xmlChar *ver = xmlGetProp(root, BAD_CAST "version");
	bool v2 = ver && ver[0] == '2' && ver[1] == '.' && ver[2] >= '0' && ver[2] <= '9';
	char vs[32];
	snprintf(vs, sizeof vs, "%s", ver ? (const char *)ver : "(none)");
	xmlFree(ver);
	if (!v2)
		return bad(p, "bmap version %s is not supported (kiln reads 2.x)", vs);

	xmlNodePtr f[F_N] = { 0 };
	for (xmlNodePtr c = root->children; c; c = c->next) {
		if (c->type == XML_COMMENT_NODE || (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)))
			continue;
		if (c->type != XML_ELEMENT_NODE)
			return bad(p, "unexpected text in <bmap>");
		int k = 0;
		while (k < F_N && xmlStrcmp(c->name, BAD_CAST field_names[k]) != 0)
			k++;
		if (k == F_N)
			return bad(p, "unknown element <%s>", (const char *)c->name);
		if (f[k])
			return bad(p, "<%s> appears twice", field_names[k]);
		f[k] = c;
	}
	uint64_t num[F_CSUM_TYPE];
	for (int k = 0; k < F_N; k++) {
		if (!f[k])
			return bad(p, "<%s> is missing", field_names[k]);
		if (k >= F_CSUM_TYPE)
			continue;
		char *t = leaf_text(f[k]);
		int e = t ? parse_u64(t, strlen(t), &num[k]) : -1;
		free(t);
		if (e)
			return bad(p, "<%s> is not a number", field_names[k]);
	}
	char *ct = leaf_text(f[F_CSUM_TYPE]);
	bool sha = ct && strcmp(ct, "sha256") == 0;
	free(ct);
	if (!sha)
		return bad(p, "<ChecksumType> must be sha256");
	char *fs = leaf_text(f[F_FILE_CSUM]);
	uint8_t dummy[32];
	bool fs_ok = fs && parse_hex32(fs, dummy) == 0 && file_checksum_ok(xml, len, fs);
	free(fs);
	if (!fs_ok)
		return bad(p, "<BmapFileChecksum> does not match the file");

	uint64_t bs = num[F_BLOCK_SIZE];
	if (bs < 512 || bs > (1u << 20) || (bs & (bs - 1)))
		return bad(p, "<BlockSize> %" PRIu64 " is not a power of two from 512 to 1048576", bs);
	m->block_size = (uint32_t)bs;
	m->image_size = num[F_IMAGE_SIZE];
	if (m->image_size == 0 || m->image_size > (UINT64_MAX >> 4))
		return bad(p, "<ImageSize> %" PRIu64 " is out of range", m->image_size);
	uint64_t blocks = (m->image_size + bs - 1) / bs;
	if (num[F_BLOCKS] != blocks)
		return bad(p, "<BlocksCount> %" PRIu64 " does not match <ImageSize> (%" PRIu64 " blocks)",
			   num[F_BLOCKS], blocks);
	size_t cap = 0;
	uint64_t next = 0, mapped = 0;
	for (xmlNodePtr c = f[F_BLOCKMAP]->children; c; c = c->next) {
		if (c->type == XML_COMMENT_NODE || (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)))
			continue;
		if (c->type != XML_ELEMENT_NODE)
			return bad(p, "unexpected text in <BlockMap>");
		int e = parse_range(p, c, m, &cap, blocks, &next, &mapped);
		if (e < 0)
			return e;
	}
	if (mapped != num[F_MAPPED])
		return bad(p, "<MappedBlocksCount> %" PRIu64 " does not match the ranges (%" PRIu64 " blocks)",
			   num[F_MAPPED], mapped);
	return 0;
}

/* libxml2 reports through a global handler; kiln says what is wrong itself. */
static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

int bm_map_parse(const char *xml, size_t len, struct bm_map *out, char *why, size_t why_len)
{
	struct parse p = { why, why_len };
	memset(out, 0, sizeof *out);
	if (len > BMAP_MAX_BYTES || len > INT32_MAX)
		return bad(&p, "larger than %u MiB", BMAP_MAX_BYTES >> 20);
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlDocPtr doc = xmlReadMemory(xml, (int)len, "bmap", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlSetGenericErrorFunc(NULL, NULL);
	if (!doc)
		return bad(&p, "not well-formed XML");
	int r = parse_doc(&p, doc, xml, len, out);
	xmlFreeDoc(doc);
	if (r < 0)
		bm_map_free(out);
	return r;
}
