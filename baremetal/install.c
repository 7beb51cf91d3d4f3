/* bm_install(): the order of writes is the safety (install.h). */
#include "baremetal/install.h"
#include "baremetal/copy.h"
#include "baremetal/gpt_move.h"
#include "images/ext4_edit.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/seed.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SECTOR 512u
#define ROLE_MAX 64

void bm_install_result_free(struct bm_install_result *res)
{
	free(res->deployment);
	free(res->seed_host);
	memset(res, 0, sizeof *res);
}

/* ---- refusals that need the image ------------------------------------------ */

/* A loop device whose backing file is the image itself. */
static bool loop_of(const struct bm_roots *roots, const struct bm_disk *d, const char *image)
{
	if (d->kind != BM_TARGET_BLOCK || !d->name || strncmp(d->name, "loop", 4) != 0)
		return false;
	struct bm_names l = { 0 };
	bool yes = bm_loops_backed_by(roots, image, &l) == 0 && bm_names_has(&l, d->name);
	bm_names_free(&l);
	return yes;
}

static void check_downgrade(struct bm_disk *d, const struct bm_source *src, const struct minisign_pub *pub,
			    bool force)
{
	if (d->record_state != 0)
		return;
	char *dep = NULL;
	uint64_t v;
	int64_t when;
	int r = bm_record_carried(&d->record, pub, &dep, &v, &when);
	if (r == -ENOENT)
		return;
	if (r < 0) {
		log_info("%s carries a kiln install (%s) this key did not sign (%s): no version to compare",
			 d->path, d->record.image, minisign_strerror(r));
		return;
	}
	if (!strcmp(dep, src->deployment)) {
		if (v > src->version && !force)
			bm_disk_refuse(d, BM_REFUSE_DOWNGRADE, "it carries version %" PRIu64 " of deployment %s "
				       "and %s is version %" PRIu64 ": a downgrade (--force installs it anyway)",
				       v, dep, src->image, src->version);
		else if (v > src->version)
			log_warn("%s: installing version %" PRIu64 " over version %" PRIu64 " (--force)", d->path,
				 src->version, v);
	}
	free(dep);
}

void bm_check(struct bm_disk *d, const struct bm_roots *roots, const struct bm_source *src,
	      const struct minisign_pub *pub, bool wipe, bool force)
{
	if (d->kind == BM_TARGET_BLOCK && d->size < src->size)
		bm_disk_refuse(d, BM_REFUSE_TOO_SMALL, "it has %" PRIu64 " MiB, the image needs %" PRIu64 " MiB",
			       d->size >> 20, src->size >> 20);
	if ((d->kind == BM_TARGET_FILE && !src->at && d->st_dev == src->st_dev && d->st_ino == src->st_ino) ||
	    (!src->at && loop_of(roots, d, src->image)))
		bm_disk_refuse(d, BM_REFUSE_SAME_AS_IMAGE, "it is the image itself");
	if (d->kind == BM_TARGET_BLOCK && src->rdev && d->devno == src->rdev)
		bm_disk_refuse(d, BM_REFUSE_SAME_AS_IMAGE, "it is the installer medium the image comes from");
	if (d->record_state == -EBADMSG && !wipe)
		bm_disk_refuse(d, BM_REFUSE_DAMAGED_RECORD, "it holds a damaged kiln install record (--wipe "
			       "overwrites it)");
	if (!bm_disk_blank(d) && d->record_state != -EBADMSG && !wipe) {
		if (d->n_found)
			bm_disk_refuse(d, BM_REFUSE_NOT_BLANK, "it is not blank (it holds what is listed above): "
				       "--wipe overwrites it");
		else
			bm_disk_refuse(d, BM_REFUSE_NOT_BLANK, "it holds data (no known signature, but not a "
				       "sparse empty file): --wipe overwrites it");
	}
	check_downgrade(d, src, pub, force);
}

/* ---- the steps ------------------------------------------------------------- */

struct run {
	const struct bm_install_opts *o;
	struct bm_disk disk;
	struct bm_source src;
	struct bm_gpt gpt;
	int fd, dfd;
	uint64_t size;               /* the target's size */
	bool fresh;
	uint8_t *pre_head, *pre_tail;  /* the image's first and last MiB as first read */
	uint8_t *head, *tail;          /* the same, verified by the copy */
	struct seed seed;
	bool have_seed;
};

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* The image's partition table, read before anything is written: the root
 * partition (for the seed) and room for kiln's record. */
static int read_layout(struct run *u)
{
	u->pre_head = xmalloc(BM_MIB);
	u->pre_tail = xmalloc(BM_MIB);
	int r = bm_source_pread(&u->src, u->pre_head, BM_MIB, 0);
	if (r == 0)
		r = bm_source_pread(&u->src, u->pre_tail, BM_MIB, u->src.size - BM_MIB);
	if (r < 0)
		return log_error_errno(r, "reading %s", u->src.image);
	if ((r = bm_gpt_read(u->pre_head, u->pre_tail, u->src.size, &u->gpt)) < 0)
		return r;
	if (!all_zero(u->pre_head + BM_RECORD_OFFSET, BM_RECORD_SIZE)) {
		log_error("%s has data at bytes %u-%u, where kiln install keeps its record: not a kiln "
			  "disk image", u->src.image, BM_RECORD_OFFSET, BM_RECORD_OFFSET + BM_RECORD_SIZE - 1);
		return -EINVAL;
	}
	return 0;
}

/* /etc/kiln/role of the image at dev (the image file, or the target once
 * the image is on it) against the seed's role. */
static int check_seed_role(struct run *u, const char *dev)
{
	char *role;
	size_t n;
	int r = ext4_read_file_at(dev, u->gpt.root_offset, KILN_ROLE_FILE, ROLE_MAX, &role, &n);
	if (r == -ENOENT) {
		log_error("%s has no " KILN_ROLE_FILE ": not a kiln role image", u->src.image);
		return r;
	}
	if (r < 0)
		return r;
	while (n && role[n - 1] == '\n')
		role[--n] = '\0';
	if (strcmp(role, u->seed.role) != 0) {
		log_error("--seed is for host %s (role %s), but %s is a %s image", u->seed.host, u->seed.role,
			  u->src.image, role);
		r = -EINVAL;
	}
	free(role);
	return r;
}

/* The seed must be this operator's, for this deployment and this image's
 * role. A packed image (installer media) has no file to read its role
 * from: that part is checked on the target once the image is there, before
 * the disk becomes bootable (the media's build checked it too). */
static int check_seed(struct run *u)
{
	const struct bm_install_opts *o = u->o;
	int sig = 0;
	int r = seed_inspect(o->seed, o->seed_len, o->source.pub, &u->seed, &sig);
	if (r < 0)
		return log_error_errno(r, "--seed: %s", seed_strerror(r));
	u->have_seed = true;
	if (sig < 0)
		return log_error_errno(sig, "--seed: %s", seed_strerror(sig));
	if (strcmp(u->seed.deployment, u->src.deployment) != 0) {
		log_error("--seed is for deployment '%s', the image for '%s'", u->seed.deployment,
			  u->src.deployment);
		return -EXDEV;
	}
	if (!u->gpt.root_size) {
		log_error("%s has no root partition to put the seed in", u->src.image);
		return -ENOENT;
	}
	return u->src.at ? 0 : check_seed_role(u, u->src.image);
}

static int open_target(struct run *u)
{
	struct bm_disk *d = &u->disk;
	if (d->kind == BM_TARGET_NEW_FILE) {
		u->fd = open(d->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		u->fresh = true;
	} else
		u->fd = open(d->path, O_RDWR | O_CLOEXEC | (d->kind == BM_TARGET_BLOCK ? O_EXCL : 0));
	if (u->fd < 0)
		return log_error_errno(errno, "cannot open %s for writing", d->path);
	if (d->kind == BM_TARGET_BLOCK) {
		if (ioctl(u->fd, BLKGETSIZE64, &u->size) < 0)
			return log_error_errno(errno, "%s: cannot read its size", d->path);
		if (u->size < u->src.size) {
			log_error("%s has %" PRIu64 " bytes, the image %" PRIu64, d->path, u->size, u->src.size);
			return -ENOSPC;
		}
	} else {
		struct stat st;
		if (fstat(u->fd, &st) < 0)
			return log_error_errno(errno, "%s", d->path);
		/* the image holds the role key: the file is private, as kiln build's are */
		if ((st.st_mode & 077) && fchmod(u->fd, st.st_mode & 0700) < 0)
			return log_error_errno(errno, "cannot make %s private (chmod go-rwx)", d->path);
		/* A file target grows to the image; a larger one is a larger disk. */
		u->size = (uint64_t)st.st_size < u->src.size ? u->src.size : (uint64_t)st.st_size / SECTOR * SECTOR;
		if ((uint64_t)st.st_size < u->src.size && ftruncate(u->fd, (off_t)u->src.size) < 0)
			return log_error_errno(errno, "cannot grow %s to %" PRIu64 " bytes", d->path, u->src.size);
	}
	u->dfd = open(d->path, O_RDWR | O_DIRECT | O_CLOEXEC);   /* -1 where O_DIRECT is not offered */
	return 0;
}

/* The image's file name as the record keeps it: one word of printable ASCII. */
static char *record_name(const char *image)
{
	const char *b = strrchr(image, '/');
	char *n = xstrdup(b ? b + 1 : image);
	for (char *c = n; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
			*c = '_';
	return n;
}

/* The disk stops looking like anything: first MiB zero but for the
 * in-progress record, last MiB zero (no backup GPT to fall back on). */
static int prepare(struct run *u)
{
	struct bm_record rec = {
		.state = BM_RECORD_IN_PROGRESS,
		.time = (int64_t)time(NULL),
		.deployment = u->src.deployment,
		.version = u->src.version,
	};
	char *name = record_name(u->src.image);
	rec.image = name;
	/* what the disk carried before stays proven through an interruption */
	const struct bm_record *old = u->disk.record_state == 0 ? &u->disk.record : NULL;
	if (old && old->has_carried) {
		rec.has_carried = true;
		memcpy(rec.carried_hash, old->carried_hash, sizeof rec.carried_hash);
		rec.carried_sig = old->carried_sig;
	}
	uint8_t *zero = xcalloc(1, BM_MIB);
	int r = bm_record_format(&rec, zero + BM_RECORD_OFFSET);
	if (r < 0) {
		r = log_error_errno(r, "cannot record the install (image name or deployment unusable)");
		goto out;
	}
	if ((r = pwrite_full(u->fd, zero, BM_MIB, 0)) < 0 || (r = fsync(u->fd) < 0 ? -errno : 0) < 0) {
		r = log_error_errno(r, "%s: clearing the first MiB", u->disk.path);
		goto out;
	}
	memset(zero + BM_RECORD_OFFSET, 0, BM_RECORD_SIZE);
	if ((r = pwrite_full(u->fd, zero, BM_MIB, u->size - BM_MIB)) < 0 ||
	    (r = fsync(u->fd) < 0 ? -errno : 0) < 0)
		r = log_error_errno(r, "%s: clearing the last MiB", u->disk.path);
out:
	free(zero);
	free(name);
	return r;
}

static int copy_failed(struct run *u, const struct bm_copy *c, int r)
{
	if (r == -ECANCELED)
		log_error("interrupted: %s has no partition table and does not boot; run the same kiln "
			  "install again to finish", u->disk.path);
	else if (r == -EBADMSG)
		log_error("%s: the range at byte %" PRIu64 " does not match its signed SHA-256 (the image "
			  "changed or is damaged); %s does not boot", u->src.image, c->fail_offset, u->disk.path);
	else if (r == -EIO && c->fail_step && !strncmp(c->fail_step, "comparing", 9))
		log_error("%s: what was read back at byte %" PRIu64 " differs from what was written: the "
			  "disk is failing; it does not boot", u->disk.path, c->fail_offset);
	else
		log_error_errno(r, "%s: %s at byte %" PRIu64 " failed; it does not boot", u->disk.path,
				c->fail_step ? c->fail_step : "writing", c->fail_offset);
	return r;
}

static int copy(struct run *u, struct bm_install_result *res)
{
	struct bm_copy c = {
		.src_fd = u->src.fd, .map = &u->src.map, .src_at = u->src.at, .fd = u->fd, .dfd = u->dfd,
		.block = u->disk.kind == BM_TARGET_BLOCK, .fresh = u->fresh, .read_back = u->o->read_back,
		.watch = u->o->watch, .head = u->head, .tail = u->tail,
	};
	log_info("writing %s: %" PRIu64 " MiB of data in %zu ranges%s", u->disk.path,
		 u->src.map.mapped_bytes >> 20, u->src.map.n, c.read_back ? ", each read back" : "");
	int r = bm_copy_run(&c);
	res->bytes_written = c.written;
	res->bytes_zeroed = c.zeroed;
	if (r < 0)
		return copy_failed(u, &c, r);
	if (memcmp(u->head, u->pre_head, BM_MIB) || memcmp(u->tail, u->pre_tail, BM_MIB)) {
		log_error("%s: its first or last MiB differs from what the signature covers (the image "
			  "changed, or holds data its block map does not list); %s does not boot", u->src.image,
			  u->disk.path);
		return -EBADMSG;
	}
	/* the last chance to stop: the seed and the final writes take moments */
	if (bm_watch_cancelled(&u->o->watch))
		return copy_failed(u, &c, -ECANCELED);
	return 0;
}

static int place_seed(struct run *u, struct bm_install_result *res)
{
	const struct bm_install_opts *o = u->o;
	int r = u->src.at ? check_seed_role(u, u->disk.path) : 0;
	if (r < 0)
		return r;
	r = ext4_put_file_at(u->disk.path, u->gpt.root_offset, KILN_SEED_FILE, o->seed, o->seed_len, 0600, 0,
				 0, (int64_t)time(NULL));
	if (r < 0)
		return r;
	char *back;
	size_t n;
	r = ext4_read_file_at(u->disk.path, u->gpt.root_offset, KILN_SEED_FILE, o->seed_len, &back, &n);
	if (r < 0)
		return r;
	if (n != o->seed_len || memcmp(back, o->seed, n) != 0) {
		log_error("%s: the seed read back from " KILN_SEED_FILE " differs", u->disk.path);
		r = -EIO;
	}
	free(back);
	if (r == 0 && fsync(u->fd) < 0)
		r = log_error_errno(errno, "%s: flushing", u->disk.path);
	if (r == 0)
		res->seed_host = xstrdup(u->seed.host);
	return r;
}

/* Write, flush, and read back through a path that skips the cache. */
static int final_write(struct run *u, const uint8_t *b, size_t n, uint64_t off)
{
	int r = pwrite_full(u->fd, b, n, off);
	if (r == 0 && fdatasync(u->fd) < 0)
		r = -errno;
	if (r < 0)
		return log_error_errno(r, "%s: writing %zu bytes at byte %" PRIu64, u->disk.path, n, off);
	posix_fadvise(u->fd, (off_t)off, (off_t)n, POSIX_FADV_DONTNEED);
	uint8_t *rb = xmalloc(n);
	r = pread_full(u->fd, rb, n, off);
	if (r == 0 && memcmp(rb, b, n) != 0)
		r = -EIO;
	free(rb);
	if (r < 0)
		return log_error_errno(r, "%s: reading back the %zu bytes at byte %" PRIu64, u->disk.path, n, off);
	return 0;
}

/* Backup GPT, then the first MiB but its first sector, then the protective
 * MBR: only that last sector turns the disk into a partitioned one. */
static int finish(struct run *u, struct bm_install_result *res)
{
	uint8_t *head = xmalloc(BM_MIB), *itail = xmalloc(BM_MIB), *dtail = xmalloc(BM_MIB);
	int r = bm_gpt_move(u->head, u->tail, u->src.size, u->size, head, itail, dtail);
	if (r < 0)
		goto out;
	res->gpt_moved = u->size > u->src.size;
	struct bm_record rec = {
		.state = BM_RECORD_COMPLETE,
		.time = (int64_t)time(NULL),
		.deployment = u->src.deployment,
		.version = u->src.version,
		.has_carried = true,
		.carried_sig = u->src.sig_text,
	};
	char *name = record_name(u->src.image);
	rec.image = name;
	memcpy(rec.carried_hash, u->src.prehash, sizeof rec.carried_hash);
	r = bm_record_format(&rec, head + BM_RECORD_OFFSET);
	free(name);
	if (r < 0) {
		r = log_error_errno(r, "cannot record the install (the signature is too large)");
		goto out;
	}
	if ((r = final_write(u, itail, BM_MIB, u->src.size - BM_MIB)) < 0)
		goto out;
	if (res->gpt_moved && (r = final_write(u, dtail, BM_MIB, u->size - BM_MIB)) < 0)
		goto out;
	if ((r = final_write(u, head + SECTOR, BM_MIB - SECTOR, SECTOR)) < 0)
		goto out;
	r = final_write(u, head, SECTOR, 0);
out:
	free(head);
	free(itail);
	free(dtail);
	return r;
}

static void log_refusals(const struct bm_disk *d)
{
	for (size_t i = 0; i < d->n_refusals; i++)
		log_error("refusing %s: %s", d->path, d->refusals[i].why);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int bm_install(const struct bm_install_opts *o, struct bm_install_result *res)
{
	const struct bm_roots *roots = o->roots ? o->roots : &bm_roots_host;
	struct run u = { .o = o, .fd = -1, .dfd = -1 };
	memset(res, 0, sizeof *res);
	double t0 = now_s();
	int r = bm_disk_probe(roots, o->disk, &u.disk);
	if (r < 0) {
		r = log_error_errno(r, "cannot examine %s", o->disk);
		goto out_disk;
	}
	if (o->show_disk)
		o->show_disk(o->show_ud, &u.disk);
	struct bm_source_opts so = o->source;
	so.watch = o->watch;
	r = bm_source_open(&so, &u.src);
	if (r < 0)
		goto out;
	log_info("%s: signature verified (%s, deployment %s, version %" PRIu64 ")", u.src.image,
		 u.src.sig_path, u.src.deployment, u.src.version);
	if ((r = read_layout(&u)) < 0 || (o->seed && (r = check_seed(&u)) < 0))
		goto out;
	bm_check(&u.disk, roots, &u.src, o->source.pub, o->wipe, o->force);
	if (u.disk.n_refusals) {
		log_refusals(&u.disk);
		r = -EPERM;
		goto out;
	}
	u.head = xmalloc(BM_MIB);
	u.tail = xmalloc(BM_MIB);
	if ((r = open_target(&u)) < 0 || (r = prepare(&u)) < 0 || (r = copy(&u, res)) < 0)
		goto out;
	if (o->seed && (r = place_seed(&u, res)) < 0)
		goto out;
	if ((r = finish(&u, res)) < 0)
		goto out;
	if (u.disk.kind == BM_TARGET_BLOCK && ioctl(u.fd, BLKRRPART) < 0)
		log_debug("%s: the kernel did not re-read the partition table: %s", u.disk.path, strerror(errno));
	res->image_size = u.src.size;
	res->disk_size = u.size;
	res->ranges = u.src.map.n;
	res->verified = true;
	res->read_back = o->read_back;
	res->via_bmap = u.src.via_bmap;
	res->deployment = xstrdup(u.src.deployment);
	res->version = u.src.version;
	res->seconds = now_s() - t0;
out:
	if (u.dfd >= 0)
		close(u.dfd);
	if (u.fd >= 0)
		close(u.fd);
	if (u.have_seed)
		seed_free(&u.seed);
	free(u.pre_head);
	free(u.pre_tail);
	free(u.head);
	free(u.tail);
	bm_source_close(&u.src);
out_disk:
	bm_disk_free(&u.disk);
	return r;
}
