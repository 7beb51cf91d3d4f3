/* streamOptimized VMDK writer: grain_pool compresses the grains on all
 * CPUs and hands them back in LBA order; this file lays them out, keeps the
 * grain tables, writes the metadata at the end and the descriptor last. */
#include "esxi/vmdk_stream.h"
#include "esxi/vmdk_format.h"
#include "esxi/grain_pool.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTBUF_BYTES (1u << 20)

void vmdk_stream_opts_init(struct vmdk_stream_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->codec = GRAIN_CODEC_DEFAULT;
	o->level = GRAIN_LEVEL_DEFAULT;
}

/* Buffered sequential output that counts sectors. */
struct out {
	int fd;
	uint8_t *buf;
	size_t len;
	uint64_t sectors;          /* sectors written or buffered so far */
};

static int out_flush(struct out *o)
{
	size_t done = 0;
	while (done < o->len) {
		ssize_t w = write(o->fd, o->buf + done, o->len - done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)w;
	}
	o->len = 0;
	return 0;
}

/* n must be a multiple of 512. */
static int out_write(struct out *o, const void *data, size_t n)
{
	if (o->len + n > OUTBUF_BYTES) {
		int r = out_flush(o);
		if (r < 0)
			return r;
	}
	if (n > OUTBUF_BYTES) {
		size_t done = 0;
		while (done < n) {
			ssize_t w = write(o->fd, (const uint8_t *)data + done, n - done);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return -errno;
			}
			done += (size_t)w;
		}
	} else {
		memcpy(o->buf + o->len, data, n);
		o->len += n;
	}
	o->sectors += n / VMDK_SECTOR;
	return 0;
}

static int out_marker(struct out *o, enum vmdk_marker_type type, uint64_t num_sectors)
{
	uint8_t m[VMDK_SECTOR];
	vmdk_marker_encode(type, num_sectors, m);
	return out_write(o, m, sizeof(m));
}

/* Writes u32 table entries little-endian, zero-padded to whole sectors. */
static int out_table(struct out *o, const uint32_t *t, size_t n)
{
	size_t bytes = (n * 4 + VMDK_SECTOR - 1) / VMDK_SECTOR * VMDK_SECTOR;
	uint8_t *b = xcalloc(1, bytes);
	for (size_t i = 0; i < n; i++) {
		b[4 * i] = (uint8_t)t[i];
		b[4 * i + 1] = (uint8_t)(t[i] >> 8);
		b[4 * i + 2] = (uint8_t)(t[i] >> 16);
		b[4 * i + 3] = (uint8_t)(t[i] >> 24);
	}
	int r = out_write(o, b, bytes);
	free(b);
	return r;
}

struct gt_state {
	uint32_t gt[VMDK_GTES_PER_GT];
	uint64_t cur;              /* index of the GT being filled, or UINT64_MAX */
	uint32_t *gd;
	uint64_t num_gts;
};

static int gt_flush(struct out *o, struct gt_state *g)
{
	if (g->cur == UINT64_MAX)
		return 0;
	int r = out_marker(o, VMDK_MARKER_GT, VMDK_GT_SECTORS);
	if (r < 0)
		return r;
	if (o->sectors > UINT32_MAX)
		return -EFBIG;
	g->gd[g->cur] = (uint32_t)o->sectors;
	r = out_table(o, g->gt, VMDK_GTES_PER_GT);
	memset(g->gt, 0, sizeof(g->gt));
	g->cur = UINT64_MAX;
	return r;
}

struct progress {
	int on, tty;
	unsigned last_pct;
	uint64_t total;
};

static void progress_show(struct progress *pr, uint64_t done, int final)
{
	if (!pr->on || pr->total == 0)
		return;
	unsigned pct = (unsigned)(done * 100 / pr->total);
	if (!final && (pct == pr->last_pct || (!pr->tty && pct / 10 == pr->last_pct / 10)))
		return;
	if (final && !pr->tty && pr->last_pct == 100)
		return;                 /* the last grain already said 100% */
	pr->last_pct = pct;
	fprintf(stderr, "%skiln: vmdk: %3u%% (%llu/%llu MiB)%s", pr->tty ? "\r" : "", pct,
		(unsigned long long)(done >> 20), (unsigned long long)(pr->total >> 20),
		pr->tty && !final ? "" : "\n");
	fflush(stderr);
}

/* Content ID from the stored grains: BLAKE2b-128 over the capacity and each
 * grain's digest. CID is the last 32 bits, as VMware's own IDs are laid out. */
static void content_ids(crypto_generichash_state *h, uint8_t long_cid[16], uint32_t *cid)
{
	crypto_generichash_final(h, long_cid, 16);
	uint32_t c = (uint32_t)long_cid[12] << 24 | (uint32_t)long_cid[13] << 16 |
		     (uint32_t)long_cid[14] << 8 | long_cid[15];
	if (c >= 0xfffffffeu) {        /* reserved: "no parent" / "invalid" */
		c = 0xfffffffdu;
		long_cid[15] = 0xfd;
	}
	*cid = c;
}

static int write_descriptor(int fd, uint64_t capacity, const char *adapter, const char *name,
			    uint32_t cid, const uint8_t long_cid[16], uint64_t *sectors)
{
	char *d = vmdk_descriptor_render(capacity, adapter, name, cid, long_cid);
	size_t len = strlen(d);
	size_t sec = (len + VMDK_SECTOR - 1) / VMDK_SECTOR;
	int r = 0;
	if (sectors)
		*sectors = sec;
	else {
		uint8_t *b = xcalloc(sec, VMDK_SECTOR);
		memcpy(b, d, len);
		ssize_t w = pwrite(fd, b, sec * VMDK_SECTOR, VMDK_SECTOR);
		if (w < 0)
			r = -errno;
		else if ((size_t)w != sec * VMDK_SECTOR)
			r = -EIO;
		free(b);
	}
	free(d);
	return r;
}

static unsigned online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

int vmdk_stream_write(int in_fd, uint64_t size, int out_fd, const struct vmdk_stream_opts *o,
		      struct vmdk_stream_stats *stats)
{
	const char *adapter = o->adapter ? o->adapter : "lsilogic";
	const char *name = o->extent_name ? o->extent_name : "disk.vmdk";
	int level = o->level ? o->level : GRAIN_LEVEL_DEFAULT;
	if (size == 0 || vmdk_adapter_check(adapter) < 0 || grain_level_check(o->codec, level) < 0)
		return -EINVAL;
	if (sodium_init() < 0)
		return -EIO;

	if (size > VMDK_MAX_DISK_BYTES)
		return -EFBIG;

	struct vmdk_stream_stats st = { 0 };
	uint64_t capacity = vmdk_capacity_for(size);
	uint64_t desc_sectors;
	uint8_t zero_id[16] = { 0 };
	write_descriptor(out_fd, capacity, adapter, name, 0, zero_id, &desc_sectors);
	if (1 + desc_sectors > VMDK_OVERHEAD)
		return -EINVAL;        /* an absurdly long extent name */

	uint64_t disk_bytes = capacity * VMDK_SECTOR;
	unsigned nthreads = o->threads ? o->threads : online_cpus();
	struct grain_pool *pool;
	int r = grain_pool_start(in_fd, disk_bytes, o->codec, level, nthreads, &pool);
	if (r < 0)
		return r;

	struct gt_state gts = { .cur = UINT64_MAX };
	gts.num_gts = ((disk_bytes + VMDK_GRAIN_BYTES - 1) / VMDK_GRAIN_BYTES + VMDK_GTES_PER_GT - 1) /
		      VMDK_GTES_PER_GT;
	gts.gd = xcalloc(gts.num_gts, sizeof(uint32_t));
	struct out out = { .fd = out_fd, .buf = xmalloc(OUTBUF_BYTES) };
	struct progress pr = { .on = o->progress, .tty = isatty(STDERR_FILENO), .last_pct = 0,
			       .total = disk_bytes };
	crypto_generichash_state hash;
	crypto_generichash_init(&hash, NULL, 0, 16);
	uint8_t cap_le[8];
	for (int i = 0; i < 8; i++)
		cap_le[i] = (uint8_t)(capacity >> (8 * i));
	crypto_generichash_update(&hash, (const uint8_t *)"kiln-vmdk-cid-1", 15);
	crypto_generichash_update(&hash, cap_le, 8);

	/* Header, then zeros up to overHead; the descriptor is filled in last. */
	uint8_t sec[VMDK_SECTOR];
	struct vmdk_header hdr = { .capacity = capacity, .descriptor_size = desc_sectors,
				   .gd_offset = VMDK_GD_AT_END };
	vmdk_header_encode(&hdr, sec);
	r = out_write(&out, sec, sizeof(sec));
	memset(sec, 0, sizeof(sec));
	while (r == 0 && out.sectors < VMDK_OVERHEAD)
		r = out_write(&out, sec, sizeof(sec));

	/* Grains in LBA order; a GT goes out when the next grain is in another. */
	struct grain_record g;
	while (r == 0 && (r = grain_pool_next(pool, &g)) > 0) {
		r = 0;
		uint64_t end = (g.grain + 1) * VMDK_GRAIN_BYTES;
		if (end > disk_bytes)
			end = disk_bytes;
		if (g.len == 0)
			st.grains_zero++;
		else {
			uint64_t t = g.grain / VMDK_GTES_PER_GT;
			if (gts.cur != t)
				r = gt_flush(&out, &gts);
			gts.cur = t;
			if (out.sectors > UINT32_MAX)
				r = -EFBIG;
			gts.gt[g.grain % VMDK_GTES_PER_GT] = (uint32_t)out.sectors;
			if (r == 0)
				r = out_write(&out, g.data, g.len);
			crypto_generichash_update(&hash, g.digest, GRAIN_DIGEST_BYTES);
			st.grains_stored++;
			st.populated_bytes += end - g.grain * VMDK_GRAIN_BYTES;
		}
		progress_show(&pr, end, 0);
	}
	grain_pool_stop(pool);

	if (r == 0)
		r = gt_flush(&out, &gts);
	/* GD, footer (the header again, now pointing at the GD), end of stream. */
	if (r == 0)
		r = out_marker(&out, VMDK_MARKER_GD, (gts.num_gts * 4 + VMDK_SECTOR - 1) / VMDK_SECTOR);
	uint64_t gd_at = out.sectors;
	if (r == 0)
		r = out_table(&out, gts.gd, gts.num_gts);
	if (r == 0)
		r = out_marker(&out, VMDK_MARKER_FOOTER, 1);
	hdr.gd_offset = gd_at;
	vmdk_header_encode(&hdr, sec);
	if (r == 0)
		r = out_write(&out, sec, sizeof(sec));
	if (r == 0)
		r = out_marker(&out, VMDK_MARKER_EOS, 0);
	if (r == 0)
		r = out_flush(&out);
	if (r == 0 && out.sectors > UINT32_MAX)
		r = -EFBIG;

	uint8_t long_cid[16];
	uint32_t cid;
	content_ids(&hash, long_cid, &cid);
	if (r == 0)
		r = write_descriptor(out_fd, capacity, adapter, name, cid, long_cid, NULL);
	if (r == 0)
		progress_show(&pr, disk_bytes, 1);

	st.capacity_bytes = disk_bytes;
	st.file_bytes = out.sectors * VMDK_SECTOR;
	if (r == 0 && stats)
		*stats = st;

	free(gts.gd);
	free(out.buf);
	return r;
}

/* in is a regular file or a block device (open_input checked). */
static int input_size(int fd, const struct stat *st, uint64_t *size)
{
	if (S_ISREG(st->st_mode)) {
		*size = (uint64_t)st->st_size;
		return 0;
	}
	uint64_t n;
	if (ioctl(fd, BLKGETSIZE64, &n) < 0)
		return -errno;
	*size = n;
	return 0;
}

int vmdk_stream_convert(const char *in_path, const char *out_path, const struct vmdk_stream_opts *o,
			struct vmdk_stream_stats *stats)
{
	struct stat ist;
	int in = open_input(in_path, INPUT_BLOCKDEV, SIZE_MAX);
	if (in == -EINVAL || in == -EISDIR)
		return log_error_errno(in, "input '%s' is not a regular file or block device", in_path);
	if (in < 0)
		return log_error_errno(in, "cannot open input '%s'", in_path);
	if (fstat(in, &ist) < 0) {
		int e = -errno;
		close(in);
		return log_error_errno(e, "cannot stat input '%s'", in_path);
	}
	uint64_t size = 0;
	mode_t mode = ist.st_mode & 0666;
	int r = output_is_input(out_path, &ist);
	if (r != 0) {
		close(in);
		if (r > 0)
			log_error("output '%s' is the input '%s' (or a link to it): refusing to replace it", out_path,
				  in_path);
		else
			log_error_errno(r, "cannot examine output '%s'", out_path);
		return r > 0 ? -EEXIST : r;
	}
	r = input_size(in, &ist, &size);
	if (r < 0) {
		close(in);
		return log_error_errno(r, "cannot get the size of input '%s'", in_path);
	}
	if (size == 0) {
		close(in);
		log_error("input '%s' is empty: nothing to convert", in_path);
		return -EINVAL;
	}

	char *tmp = xasprintf("%s.tmp-XXXXXX", out_path);
	int out = mkostemp(tmp, O_CLOEXEC);
	if (out < 0) {
		r = log_error_errno(errno, "cannot create output next to '%s'", out_path);
		free(tmp);
		close(in);
		return r;
	}
	/* The image is as readable as the raw it came from (it may hold secrets). */
	struct vmdk_stream_opts eff = *o;
	if (!eff.extent_name) {
		const char *slash = strrchr(out_path, '/');
		eff.extent_name = slash ? slash + 1 : out_path;
	}
	r = vmdk_stream_write(in, size, out, &eff, stats);
	if (r < 0)
		log_error_errno(r, "cannot convert '%s' to '%s'", in_path, out_path);
	if (r == 0 && (fchmod(out, mode) < 0 || fsync(out) < 0))
		r = log_error_errno(errno, "cannot finish '%s'", tmp);
	if (close(out) < 0 && r == 0)
		r = log_error_errno(errno, "cannot write '%s'", tmp);
	if (r == 0 && rename(tmp, out_path) < 0)
		r = log_error_errno(errno, "cannot rename '%s' to '%s'", tmp, out_path);
	if (r < 0)
		unlink(tmp);
	free(tmp);
	close(in);
	return r;
}
