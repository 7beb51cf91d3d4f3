/* Opening a signed image (source.h). */
#include "baremetal/source.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MiB (1024u * 1024u)
#define SIG_MAX 16384

void bm_source_close(struct bm_source *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->image);
	free(s->at);
	bm_map_free(&s->map);
	free(s->signed_path);
	free(s->sig_path);
	free(s->sig_text);
	free(s->deployment);
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

static bool exists(const char *p)
{
	return access(p, F_OK) == 0;
}

static int parse_signature(const struct bm_source *s, const char *text, size_t n, struct minisign_sig *sig,
			   const struct bm_source_opts *o)
{
	int r = minisign_sig_parse(text, n, sig);
	if (r < 0)
		return log_error_errno(r, "%s: %s", s->sig_path, minisign_strerror(r));
	if (memcmp(sig->alg, "ED", 2) != 0) {
		log_error("%s: a legacy (non-prehashed) signature; sign with kiln sign or minisign "
			  "without -l", s->sig_path);
		return -EPROTONOSUPPORT;
	}
	if (memcmp(sig->keynum, o->pub->keynum, MINISIGN_KEYNUM_BYTES) != 0) {
		log_error("%s: %s", s->sig_path, minisign_strerror(-ENOKEY));
		return -ENOKEY;
	}
	return 0;
}

/* The signature file: read, parsed, prehashed `ED` (what kiln sign writes). */
static int load_sig(const struct bm_source_opts *o, struct bm_source *s, struct minisign_sig *sig)
{
	size_t n;
	int r = read_input(s->sig_path, 0, SIG_MAX, &s->sig_text, &n);
	if (r == -ENOENT) {
		log_error("%s is not signed: %s does not exist (sign it with: kiln sign %s --bmap --state DIR)",
			  s->signed_path, s->sig_path, o->image);
		return r;
	}
	if (r < 0) {
		log_error("signature %s %s", s->sig_path, input_strerror(r));
		return r;
	}
	return parse_signature(s, s->sig_text, n, sig, o);
}

static int verify(const struct bm_source_opts *o, struct bm_source *s, struct minisign_sig *sig)
{
	int r = minisign_verify_hash(o->pub, sig, s->prehash);
	if (r < 0) {
		log_error("%s: %s", s->signed_path, minisign_strerror(r));
		return r;
	}
	r = minisign_kiln_comment_parse(sig->trusted_comment, &s->deployment, &s->version, &s->signed_at);
	if (r < 0) {
		log_error("%s: not a kiln signature (its trusted comment has no deployment and version)",
			  s->sig_path);
		return r;
	}
	if (o->deployment && strcmp(o->deployment, s->deployment) != 0) {
		log_error("%s is signed for deployment '%s', not '%s'", s->signed_path, s->deployment,
			  o->deployment);
		return -EXDEV;
	}
	return 0;
}

/* A parsed, verified map that must describe an image of s->size bytes. */
static int check_map_size(struct bm_source *s)
{
	if (s->map.image_size == s->size)
		return 0;
	log_error("%s describes an image of %" PRIu64 " bytes; %s has %" PRIu64, s->signed_path,
		  s->map.image_size, s->image, s->size);
	return -EINVAL;
}

static int open_bmap(const struct bm_source_opts *o, struct bm_source *s, struct minisign_sig *sig)
{
	char *text;
	size_t n;
	int r = load_sig(o, s, sig);
	if (r < 0)
		return r;
	r = read_input(s->signed_path, 0, BMAP_MAX_BYTES, &text, &n);
	if (r < 0) {
		log_error("%s %s", s->signed_path, input_strerror(r));
		return r;
	}
	minisign_hash_buffer(text, n, s->prehash);
	r = verify(o, s, sig);
	char why[256] = "";
	if (r == 0 && (r = bm_map_parse(text, n, &s->map, why, sizeof why)) < 0)
		log_error("%s: %s", s->signed_path, why);
	free(text);
	return r == 0 ? check_map_size(s) : r;
}

/* The installer medium's payload: the signed bmap and the ranges packed. */
static int open_payload(const struct bm_source_opts *o, struct bm_source *s, struct minisign_sig *sig)
{
	const struct bm_payload *p = o->payload;
	s->image = xstrdup(p->image);
	s->size = p->image_size;
	s->via_bmap = true;
	s->signed_path = xasprintf("%s (the payload's %s.bmap)", p->name, p->image);
	s->sig_path = xasprintf("%s (the payload's %s.bmap.minisig)", p->name, p->image);
	s->sig_text = xstrdup(p->sig);
	struct stat st;
	s->fd = fcntl(p->fd, F_DUPFD_CLOEXEC, 0);
	if (s->fd < 0 || fstat(s->fd, &st) < 0)
		return log_error_errno(errno, "%s", p->name);
	s->rdev = S_ISBLK(st.st_mode) ? st.st_rdev : 0;
	int r = parse_signature(s, p->sig, p->sig_len, sig, o);
	if (r < 0)
		return r;
	minisign_hash_buffer(p->bmap, p->bmap_len, s->prehash);
	if ((r = verify(o, s, sig)) < 0)
		return r;
	char why[256] = "";
	if ((r = bm_map_parse(p->bmap, p->bmap_len, &s->map, why, sizeof why)) < 0) {
		log_error("%s: %s", s->signed_path, why);
		return r;
	}
	if ((r = check_map_size(s)) < 0)
		return r;
	if (s->map.mapped_bytes != p->data_len) {
		log_error("%s: the payload holds %" PRIu64 " bytes of data, its block map lists %" PRIu64, p->name,
			  p->data_len, s->map.mapped_bytes);
		return -EBADMSG;
	}
	s->at = xcalloc(s->map.n ? s->map.n : 1, sizeof *s->at);
	uint64_t at = p->base + p->data_off;
	for (size_t i = 0; i < s->map.n; i++) {
		s->at[i] = at;
		at += s->map.v[i].length;
	}
	return 0;
}

int bm_source_pread(const struct bm_source *s, void *buf, size_t n, uint64_t off)
{
	if (!s->at)
		return pread_full(s->fd, buf, n, off);
	uint8_t *b = buf;
	memset(b, 0, n);
	uint64_t end = off + n;
	for (size_t i = 0; i < s->map.n; i++) {
		const struct bm_range *rg = &s->map.v[i];
		uint64_t a = rg->offset > off ? rg->offset : off;
		uint64_t z = rg->offset + rg->length < end ? rg->offset + rg->length : end;
		if (a >= z)
			continue;
		int r = pread_full(s->fd, b + (a - off), (size_t)(z - a), s->at[i] + (a - rg->offset));
		if (r < 0)
			return r;
	}
	return 0;
}

static int open_whole(const struct bm_source_opts *o, struct bm_source *s, struct minisign_sig *sig)
{
	int r = load_sig(o, s, sig);
	if (r < 0)
		return r;
	log_info("%s has no .bmap: hashing all of it to check its signature (kiln sign --bmap makes "
		 "installs faster)", s->image);
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, MINISIGN_HASH_BYTES);
	r = bm_map_scan(s->fd, s->size, BMAP_BLOCK_SIZE, &st, &o->watch, &s->map);
	if (r == -ECANCELED)
		log_error("interrupted while hashing %s; nothing was written", s->image);
	else if (r < 0)
		log_error_errno(r, "cannot read %s", s->image);
	if (r < 0)
		return r;
	crypto_generichash_final(&st, s->prehash, MINISIGN_HASH_BYTES);
	return verify(o, s, sig);
}

int bm_source_open(const struct bm_source_opts *o, struct bm_source *s)
{
	memset(s, 0, sizeof *s);
	if (o->payload) {
		struct minisign_sig sig = { 0 };
		int r = open_payload(o, s, &sig);
		minisign_sig_free(&sig);
		return r;
	}
	s->image = xstrdup(o->image);   /* bm_source_close() is due even when this fails */
	s->fd = open_input(o->image, 0, SIZE_MAX);   /* never blocks on a FIFO */
	if (s->fd < 0) {
		int r = s->fd;
		log_error("image %s %s", o->image, input_strerror(r));
		return r;
	}
	struct stat st;
	if (fstat(s->fd, &st) < 0)
		return log_error_errno(errno, "%s", o->image);
	s->size = (uint64_t)st.st_size;
	s->st_dev = st.st_dev;
	s->st_ino = st.st_ino;
	if (s->size < 2 * MiB || s->size % MiB) {
		log_error("%s is not a kiln disk image: its size (%" PRIu64 " bytes) is not a whole number "
			  "of MiB of at least 2 MiB", o->image, s->size);
		return -EINVAL;
	}
	char *auto_bmap = xasprintf("%s.bmap", o->image);
	const char *bmap = o->bmap ? o->bmap : exists(auto_bmap) ? auto_bmap : NULL;
	s->via_bmap = bmap != NULL;
	s->signed_path = xstrdup(bmap ? bmap : o->image);
	free(auto_bmap);
	s->sig_path = o->sig ? xstrdup(o->sig) : xasprintf("%s.minisig", s->signed_path);
	struct minisign_sig sig = { 0 };
	int r = s->via_bmap ? open_bmap(o, s, &sig) : open_whole(o, s, &sig);
	minisign_sig_free(&sig);
	return r;
}
