/* Grain pool: workers claim grains from the sparse-map walk (under the lock,
 * which fixes each grain's sequence number), read, zero-check and compress
 * them into the ring slot of that number; the consumer takes slots back in
 * sequence order, so the output order never depends on thread timing. */
#include "esxi/grain_pool.h"
#include "esxi/vmdk_format.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct slot {
	uint64_t grain;
	uint8_t *out;          /* grain marker + zlib stream + zero padding */
	size_t out_len;        /* 0: the grain was all zeros, store nothing */
	uint8_t digest[GRAIN_DIGEST_BYTES];
	int err;
	int done;
};

struct grain_pool {
	int in_fd;
	uint64_t disk_bytes;       /* capacity * 512 */
	uint64_t num_grains;
	enum grain_codec codec;
	int level;
	size_t slot_cap;

	pthread_mutex_t lock;
	pthread_cond_t work_cv;    /* a slot became free, or the run ends */
	pthread_cond_t done_cv;    /* a slot was filled, or the run ends */
	struct slot *ring;
	size_t nring;
	uint64_t next_claim;       /* sequence number the next worker takes */
	uint64_t next_write;       /* sequence number the writer waits for */
	int ended;                 /* the grain walk is exhausted */
	int abort;                 /* negative errno: stop everything */
	int holding;               /* the consumer holds slot next_write */
	pthread_t *tids;
	unsigned started;

	/* sparse-map walk, under lock */
	uint64_t walk_grain;
	uint64_t data_end;         /* end of the data extent walk_grain lies in */
	int no_sparse_map;
};

/* Next grain that may hold data: 1 and *g, 0 at the end, or -errno. */
static int walk_next(struct grain_pool *p, uint64_t *g)
{
	while (p->walk_grain < p->num_grains) {
		uint64_t off = p->walk_grain * VMDK_GRAIN_BYTES;
		if (p->no_sparse_map || off < p->data_end) {
			*g = p->walk_grain++;
			return 1;
		}
		off_t d = lseek(p->in_fd, (off_t)off, SEEK_DATA);
		if (d < 0) {
			if (errno == ENXIO)             /* only holes (or EOF) from off on */
				return 0;
			if (errno == EINVAL || errno == EOPNOTSUPP || errno == ESPIPE) {
				p->no_sparse_map = 1;   /* e.g. block devices: read it all */
				continue;
			}
			return -errno;
		}
		off_t h = lseek(p->in_fd, d, SEEK_HOLE);
		if (h < 0)
			return -errno;
		if ((uint64_t)d < off || h <= d) {
			/* A file without a real sparse map (e.g. a character device
			 * whose lseek ignores whence): read it all. */
			p->no_sparse_map = 1;
			continue;
		}
		p->data_end = (uint64_t)h;
		p->walk_grain = (uint64_t)d / VMDK_GRAIN_BYTES;
	}
	return 0;
}

static int all_zero(const uint8_t *b, size_t n)
{
	/* Cheap: compare word-wise, stop at the first non-zero word. */
	const uint64_t *w = (const uint64_t *)(const void *)b;
	size_t i, nw = n / 8;
	for (i = 0; i < nw; i++)
		if (w[i])
			return 0;
	for (i = nw * 8; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

static int read_full(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, buf + got, n - got, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;          /* past the end of the file: zeros */
		got += (size_t)r;
	}
	memset(buf + got, 0, n - got);
	return 0;
}

static void process_grain(struct grain_pool *p, struct grain_compressor *c, uint8_t *in, struct slot *s)
{
	uint64_t off = s->grain * VMDK_GRAIN_BYTES;
	size_t n = p->disk_bytes - off < VMDK_GRAIN_BYTES ? (size_t)(p->disk_bytes - off) : VMDK_GRAIN_BYTES;
	s->out_len = 0;
	s->err = read_full(p->in_fd, in, n, off);
	if (s->err < 0 || all_zero(in, n))
		return;
	long z = grain_compress(c, in, n, s->out + VMDK_GRAIN_MARKER_HDR, p->slot_cap - VMDK_GRAIN_MARKER_HDR);
	if (z < 0) {
		s->err = (int)z;
		return;
	}
	vmdk_grain_marker_encode(s->grain * VMDK_GRAIN_SECTORS, (uint32_t)z, s->out);
	size_t len = VMDK_GRAIN_MARKER_HDR + (size_t)z;
	size_t padded = (len + VMDK_SECTOR - 1) / VMDK_SECTOR * VMDK_SECTOR;
	memset(s->out + len, 0, padded - len);
	s->out_len = padded;
	crypto_generichash(s->digest, GRAIN_DIGEST_BYTES, s->out, padded, NULL, 0);
}

static void *worker(void *arg)
{
	struct grain_pool *p = arg;
	struct grain_compressor *c = NULL;
	uint8_t *in = xmalloc(VMDK_GRAIN_BYTES);
	int r = grain_compressor_new(p->codec, p->level, &c);

	pthread_mutex_lock(&p->lock);
	if (r < 0 && !p->abort)
		p->abort = r;
	for (;;) {
		while (!p->abort && !p->ended && p->next_claim >= p->next_write + p->nring)
			pthread_cond_wait(&p->work_cv, &p->lock);
		if (p->abort || p->ended)
			break;
		uint64_t g = 0;
		r = walk_next(p, &g);
		if (r <= 0) {
			if (r < 0)
				p->abort = r;
			else
				p->ended = 1;
			pthread_cond_broadcast(&p->work_cv);
			pthread_cond_broadcast(&p->done_cv);
			break;
		}
		struct slot *s = &p->ring[p->next_claim++ % p->nring];
		s->grain = g;
		s->done = 0;
		pthread_mutex_unlock(&p->lock);

		process_grain(p, c, in, s);

		pthread_mutex_lock(&p->lock);
		s->done = 1;
		pthread_cond_broadcast(&p->done_cv);
	}
	pthread_mutex_unlock(&p->lock);
	grain_compressor_free(c);
	free(in);
	return NULL;
}


int grain_pool_start(int in_fd, uint64_t disk_bytes, enum grain_codec codec, int level,
		     unsigned threads, struct grain_pool **out)
{
	struct grain_compressor *probe;
	int r = grain_compressor_new(codec, level, &probe);
	if (r < 0)
		return r;
	struct grain_pool *p = xcalloc(1, sizeof(*p));
	p->in_fd = in_fd;
	p->disk_bytes = disk_bytes;
	p->num_grains = (disk_bytes + VMDK_GRAIN_BYTES - 1) / VMDK_GRAIN_BYTES;
	p->codec = codec;
	p->level = level;
	p->slot_cap = (VMDK_GRAIN_MARKER_HDR + grain_compress_bound(probe, VMDK_GRAIN_BYTES) + VMDK_SECTOR) /
		      VMDK_SECTOR * VMDK_SECTOR;
	grain_compressor_free(probe);
	/* Enough slots that a slow grain does not stall the others for long. */
	p->nring = threads * 8 < 16 ? 16 : threads * 8 > 1024 ? 1024 : threads * 8;
	p->ring = xcalloc(p->nring, sizeof(*p->ring));
	for (size_t i = 0; i < p->nring; i++)
		p->ring[i].out = xmalloc(p->slot_cap);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	p->tids = xcalloc(threads, sizeof(*p->tids));
	for (; p->started < threads; p->started++)
		if (pthread_create(&p->tids[p->started], NULL, worker, p) != 0)
			break;
	*out = p;
	if (p->started == 0) {
		grain_pool_stop(p);
		return -EAGAIN;
	}
	return 0;
}

int grain_pool_next(struct grain_pool *p, struct grain_record *rec)
{
	pthread_mutex_lock(&p->lock);
	if (p->holding) {          /* the previous record's slot is free again */
		p->holding = 0;
		p->next_write++;
		pthread_cond_broadcast(&p->work_cv);
	}
	struct slot *s = &p->ring[p->next_write % p->nring];
	while (!p->abort && !(p->next_write < p->next_claim && s->done) &&
	       !(p->ended && p->next_write == p->next_claim))
		pthread_cond_wait(&p->done_cv, &p->lock);
	int r = p->abort;
	if (r == 0 && p->next_write < p->next_claim && s->err < 0) {
		r = p->abort = s->err;
		pthread_cond_broadcast(&p->work_cv);
	}
	if (r == 0 && p->next_write < p->next_claim) {
		p->holding = 1;
		rec->grain = s->grain;
		rec->data = s->out;
		rec->len = s->out_len;
		rec->digest = s->digest;
		r = 1;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

void grain_pool_stop(struct grain_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (!p->abort)
		p->abort = -ECANCELED;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->started; i++)
		pthread_join(p->tids[i], NULL);
	pthread_cond_destroy(&p->done_cv);
	pthread_cond_destroy(&p->work_cv);
	pthread_mutex_destroy(&p->lock);
	for (size_t i = 0; i < p->nring; i++)
		free(p->ring[i].out);
	free(p->ring);
	free(p->tids);
	free(p);
}
