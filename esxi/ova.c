/* OVA writer: ustar via libarchive, digests and signature via libcrypto. */
#include "esxi/ova.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_CHUNK (1u << 20)

int ova_digest_parse(const char *s, enum ova_digest *out)
{
	if (!strcmp(s, "sha256"))
		*out = OVA_DIGEST_SHA256;
	else if (!strcmp(s, "sha1"))
		*out = OVA_DIGEST_SHA1;
	else
		return -EINVAL;
	return 0;
}

const char *ova_digest_label(enum ova_digest d)
{
	return d == OVA_DIGEST_SHA1 ? "SHA1" : "SHA256";
}

static const EVP_MD *digest_md(enum ova_digest d)
{
	return d == OVA_DIGEST_SHA1 ? EVP_sha1() : EVP_sha256();
}

static void put_hex(struct buf *b, const unsigned char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		buf_putc(b, hex[p[i] >> 4]);
		buf_putc(b, hex[p[i] & 15]);
	}
}

/* Member names are flat, short, printable ASCII (formats §3). */
static bool member_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 100 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (const char *p = s; *p; p++)
		if (*p <= 0x20 || *p > 0x7e || *p == '/' || *p == '\\')
			return false;
	return true;
}

/* Append `ALG(name)= hex\n` for a file on disk; *size gets its length. */
static int manifest_file(struct buf *mf, enum ova_digest d, const char *name, const char *path, uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(errno, "cannot open %s", path);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned char *chunk = xmalloc(IO_CHUNK), md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	uint64_t total = 0;
	int r = 0;
	if (!c || !EVP_DigestInit_ex(c, digest_md(d), NULL)) {
		r = log_error_errno(ENOMEM, "cannot start a digest");
		goto out;
	}
	for (;;) {
		ssize_t k = read(fd, chunk, IO_CHUNK);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = log_error_errno(errno, "cannot read %s", path);
			goto out;
		}
		if (k == 0)
			break;
		EVP_DigestUpdate(c, chunk, (size_t)k);
		total += (uint64_t)k;
	}
	EVP_DigestFinal_ex(c, md, &mdlen);
	buf_printf(mf, "%s(%s)= ", ova_digest_label(d), name);
	put_hex(mf, md, mdlen);
	buf_putc(mf, '\n');
	*size = total;
out:
	EVP_MD_CTX_free(c);
	free(chunk);
	close(fd);
	return r;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;   /* never prompt: an encrypted key fails cleanly */
}

/* The .cert member: `ALG(name.mf)= hex(signature)\n` + the PEM certificate. */
static int sign_manifest(const struct ova_params *p, const char *mf_name, const struct buf *mf, struct buf *cert)
{
	FILE *kf = NULL, *cf = NULL;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	EVP_MD_CTX *c = NULL;
	BIO *bio = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int r = 0;

	if (!(kf = fopen(p->sign_key, "re"))) {
		r = log_error_errno(errno, "cannot open signing key %s", p->sign_key);
		goto out;
	}
	if (!(key = PEM_read_PrivateKey(kf, NULL, no_passphrase, NULL))) {
		r = log_error_errno(EINVAL, "%s is not an unencrypted PEM private key", p->sign_key);
		goto out;
	}
	if (!(cf = fopen(p->sign_cert, "re"))) {
		r = log_error_errno(errno, "cannot open certificate %s", p->sign_cert);
		goto out;
	}
	if (!(x = PEM_read_X509(cf, NULL, no_passphrase, NULL))) {
		r = log_error_errno(EINVAL, "%s is not a PEM X.509 certificate", p->sign_cert);
		goto out;
	}
	if (X509_check_private_key(x, key) != 1) {
		r = log_error_errno(EKEYREJECTED, "signing key %s does not belong to certificate %s", p->sign_key,
				    p->sign_cert);
		goto out;
	}
	c = EVP_MD_CTX_new();
	if (!c || EVP_DigestSignInit(c, NULL, digest_md(p->digest), NULL, key) != 1 ||
	    EVP_DigestSign(c, NULL, &siglen, (const unsigned char *)mf->data, mf->len) != 1) {
		r = log_error_errno(EINVAL, "cannot sign with %s (an RSA or ECDSA key is expected)", p->sign_key);
		goto out;
	}
	sig = xmalloc(siglen);
	if (EVP_DigestSign(c, sig, &siglen, (const unsigned char *)mf->data, mf->len) != 1) {
		r = log_error_errno(EINVAL, "signing the manifest with %s failed", p->sign_key);
		goto out;
	}
	buf_printf(cert, "%s(%s)= ", ova_digest_label(p->digest), mf_name);
	put_hex(cert, sig, siglen);
	buf_putc(cert, '\n');
	bio = BIO_new(BIO_s_mem());
	char *pem;
	long pemlen;
	if (!bio || PEM_write_bio_X509(bio, x) != 1 || (pemlen = BIO_get_mem_data(bio, &pem)) <= 0) {
		r = log_error_errno(ENOMEM, "cannot encode certificate %s", p->sign_cert);
		goto out;
	}
	buf_append(cert, pem, (size_t)pemlen);
out:
	free(sig);
	BIO_free(bio);
	EVP_MD_CTX_free(c);
	X509_free(x);
	EVP_PKEY_free(key);
	if (cf)
		fclose(cf);
	if (kf)
		fclose(kf);
	return r;
}

static int put_header(struct archive *a, const char *name, uint64_t size, int64_t mtime)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname(e, "root");
	archive_entry_set_gname(e, "root");
	archive_entry_set_mtime(e, mtime, 0);
	int r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return log_error_errno(EIO, "cannot add %s to the OVA: %s", name, archive_error_string(a));
	return 0;
}

static int put_memory(struct archive *a, const char *name, const void *data, size_t len, int64_t mtime)
{
	int r = put_header(a, name, len, mtime);
	if (r < 0)
		return r;
	if (len && archive_write_data(a, data, len) != (la_ssize_t)len)
		return log_error_errno(EIO, "cannot write %s into the OVA: %s", name, archive_error_string(a));
	return 0;
}

/* Copy a file into the archive; it must still have the size the manifest saw. */
static int put_file(struct archive *a, const struct ova_file *f, uint64_t size, int64_t mtime, int progress)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(errno, "cannot open %s", f->path);
	int r = put_header(a, f->name, size, mtime);
	unsigned char *chunk = xmalloc(IO_CHUNK);
	uint64_t done = 0;
	unsigned shown = 0;
	while (r == 0 && done < size) {
		size_t want = size - done < IO_CHUNK ? (size_t)(size - done) : IO_CHUNK;
		ssize_t k = read(fd, chunk, want);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = log_error_errno(k < 0 ? errno : EIO, "%s changed while packing the OVA", f->path);
			break;
		}
		if (archive_write_data(a, chunk, (size_t)k) != (la_ssize_t)k) {
			r = log_error_errno(EIO, "cannot write %s into the OVA: %s", f->name, archive_error_string(a));
			break;
		}
		done += (uint64_t)k;
		unsigned pct = (unsigned)(done * 100 / size);
		if (progress && pct >= shown + 25) {
			shown = pct - pct % 25;
			fprintf(stderr, "kiln: packing %s: %u%%\n", f->name, shown);
		}
	}
	free(chunk);
	close(fd);
	return r;
}

bool ova_needs_gnu_tar(uint64_t largest_member)
{
	return largest_member > OVA_USTAR_MAX_SIZE;
}

static char *swap_ext(const char *ovf_name, const char *ext)
{
	const char *dot = strrchr(ovf_name, '.');
	size_t stem = dot ? (size_t)(dot - ovf_name) : strlen(ovf_name);
	return xasprintf("%.*s%s", (int)stem, ovf_name, ext);
}

int ova_write(const char *out_path, const struct ova_params *p)
{
	char *mf_name = swap_ext(p->ovf_name, ".mf"), *cert_name = swap_ext(p->ovf_name, ".cert");
	char *tmp = xasprintf("%s.tmp-XXXXXX", out_path);
	uint64_t *sizes = xcalloc(p->n_files + 1, sizeof *sizes);
	struct buf mf, cert;
	buf_init(&mf);
	buf_init(&cert);
	struct archive *a = NULL;
	int fd = -1, r = 0;

	if (!member_name_ok(p->ovf_name) || !member_name_ok(mf_name)) {
		r = log_error_errno(EINVAL, "'%s' is not a valid OVA member name", p->ovf_name);
		goto out;
	}
	for (size_t i = 0; i < p->n_files; i++) {
		if (!member_name_ok(p->files[i].name)) {
			r = log_error_errno(EINVAL, "'%s' is not a valid OVA member name (flat ASCII, at most 100 bytes)",
					    p->files[i].name);
			goto out;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(p->files[i].name, p->files[j].name)) {
				r = log_error_errno(EINVAL, "OVA member %s given twice", p->files[i].name);
				goto out;
			}
	}

	/* The manifest covers the descriptor and every file. */
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_Digest(p->ovf_text, p->ovf_len, md, &mdlen, digest_md(p->digest), NULL);
	buf_printf(&mf, "%s(%s)= ", ova_digest_label(p->digest), p->ovf_name);
	put_hex(&mf, md, mdlen);
	buf_putc(&mf, '\n');
	for (size_t i = 0; i < p->n_files; i++)
		if ((r = manifest_file(&mf, p->digest, p->files[i].name, p->files[i].path, &sizes[i])) < 0)
			goto out;
	if (p->sign_key && (r = sign_manifest(p, mf_name, &mf, &cert)) < 0)
		goto out;

	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = log_error_errno(errno, "cannot create %s", tmp);
		goto out;
	}
	uint64_t largest = p->ovf_len > mf.len ? p->ovf_len : mf.len;
	for (size_t i = 0; i < p->n_files; i++)
		largest = sizes[i] > largest ? sizes[i] : largest;
	a = archive_write_new();
	if (!a) {
		r = log_error_errno(ENOMEM, "cannot start the OVA archive");
		goto out;
	}
	int fmt = ova_needs_gnu_tar(largest) ? archive_write_set_format_gnutar(a) : archive_write_set_format_ustar(a);
	if (fmt != ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		r = log_error_errno(EIO, "cannot start the OVA archive: %s", archive_error_string(a));
		goto out;
	}
	if ((r = put_memory(a, p->ovf_name, p->ovf_text, p->ovf_len, p->mtime)) < 0 ||
	    (r = put_memory(a, mf_name, mf.data, mf.len, p->mtime)) < 0)
		goto out;
	if (p->sign_key && (r = put_memory(a, cert_name, cert.data, cert.len, p->mtime)) < 0)
		goto out;
	for (size_t i = 0; i < p->n_files; i++)
		if ((r = put_file(a, &p->files[i], sizes[i], p->mtime, p->progress)) < 0)
			goto out;
	if (archive_write_close(a) != ARCHIVE_OK) {
		r = log_error_errno(EIO, "cannot finish the OVA: %s", archive_error_string(a));
		goto out;
	}
	/* 0600: the disks inside hold the role's private key. */
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0) {
		r = log_error_errno(errno, "cannot write %s", tmp);
		goto out;
	}
	if (rename(tmp, out_path) < 0) {
		r = log_error_errno(errno, "cannot rename %s to %s", tmp, out_path);
		goto out;
	}
	if (p->progress)
		fprintf(stderr, "kiln: wrote %s\n", out_path);
out:
	if (a)
		archive_write_free(a);
	if (fd >= 0) {
		close(fd);
		if (r < 0)
			unlink(tmp);
	}
	buf_free(&mf);
	buf_free(&cert);
	free(sizes);
	free(tmp);
	free(mf_name);
	free(cert_name);
	return r;
}
