/* The copy engine (copy.h). */
#include "baremetal/copy.h"
#include "baremetal/gpt_move.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (8u << 20)
#define NBUF 8
#define WORKERS 2
#define READERS 2                  /* reading and hashing threads, the caller one of them */
#define ALIGN 4096u
#define ZERO_STEP (256ull << 20)   /* BLKZEROOUT per call, so progress and ^C keep up */

struct job {
	int buf;
	uint64_t off;
	size_t len;
};

struct engine {
	struct bm_copy *c;
	uint8_t *bufs[NBUF];
	int free_bufs[NBUF], n_free;
	struct job queue[NBUF];
	int q_head, q_n;
	bool done;
	int err;
	uint64_t err_off;
	const char *err_step;
	uint64_t completed, zeroed, total;
	size_t next_range;            /* the next range a reader takes */
	int readers_left;             /* reader threads still running, beside the caller */
	uint64_t submitted, retired;  /* jobs handed to the workers, and finished by them */
	pthread_mutex_t mu;
	pthread_cond_t cv_job, cv_free;
};

static uint8_t *aligned(size_t n)
{
	void *p = NULL;
	if (posix_memalign(&p, ALIGN, n) != 0)
		abort();
	return p;
}

static bool cancelled(const struct bm_copy *c)
{
	return bm_watch_cancelled(&c->watch);
}

/* Write one chunk past the cache; with read_back, read it back from the
 * device, not from the cache, and compare. rb: CHUNK bytes, or NULL without
 * read_back. */
static int write_chunk(const struct bm_copy *c, const struct job *j, const uint8_t *b, uint8_t *rb,
		       uint64_t *bad, const char **step)
{
	bool direct = c->dfd >= 0 && j->off % ALIGN == 0 && j->len % ALIGN == 0;
	*step = "writing";
	int r = pwrite_full(direct ? c->dfd : c->fd, b, j->len, j->off);
	*bad = j->off;
	if (r < 0)
		return r;
	/* through the cache: flush the range now, so a failing write is found here */
	if (!direct && sync_file_range(c->fd, (off_t)j->off, (off_t)j->len, SYNC_FILE_RANGE_WAIT_BEFORE |
				       SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) < 0)
		return -errno;
	if (!c->read_back)
		return 0;
	*step = "reading back";
	if (direct)
		r = pread_full(c->dfd, rb, j->len, j->off);
	else {
		/* drop the flushed range from the cache before reading it */
		posix_fadvise(c->fd, (off_t)j->off, (off_t)j->len, POSIX_FADV_DONTNEED);
		r = pread_full(c->fd, rb, j->len, j->off);
	}
	if (r < 0)
		return r;
	for (size_t i = 0; i < j->len; i += ALIGN) {
		size_t n = j->len - i < ALIGN ? j->len - i : ALIGN;
		if (memcmp(b + i, rb + i, n) != 0) {
			*bad = j->off + i;
			*step = "comparing what was read back with what was written";
			return -EIO;
		}
	}
	return 0;
}

static void *worker(void *arg)
{
	struct engine *e = arg;
	uint8_t *rb = e->c->read_back ? aligned(CHUNK) : NULL;
	pthread_mutex_lock(&e->mu);
	for (;;) {
		while (e->q_n == 0 && !e->done)
			pthread_cond_wait(&e->cv_job, &e->mu);
		if (e->q_n == 0)
			break;
		struct job j = e->queue[e->q_head];
		e->q_head = (e->q_head + 1) % NBUF;
		e->q_n--;
		bool skip = e->err != 0 || cancelled(e->c);
		pthread_mutex_unlock(&e->mu);
		uint64_t bad = 0;
		const char *step = NULL;
		int r = skip ? 0 : write_chunk(e->c, &j, e->bufs[j.buf], rb, &bad, &step);
		pthread_mutex_lock(&e->mu);
		if (r < 0 && !e->err) {
			e->err = r;
			e->err_off = bad;
			e->err_step = step;
		}
		if (!skip)
			e->completed += j.len;
		e->retired++;
		e->free_bufs[e->n_free++] = j.buf;
		pthread_cond_signal(&e->cv_free);
	}
	pthread_mutex_unlock(&e->mu);
	free(rb);
	return NULL;
}

static int take_buf(struct engine *e)
{
	pthread_mutex_lock(&e->mu);
	while (e->n_free == 0)
		pthread_cond_wait(&e->cv_free, &e->mu);
	int b = e->free_bufs[--e->n_free];
	pthread_mutex_unlock(&e->mu);
	return b;
}

static void give_back(struct engine *e, int b)
{
	pthread_mutex_lock(&e->mu);
	e->free_bufs[e->n_free++] = b;
	pthread_cond_signal(&e->cv_free);
	pthread_mutex_unlock(&e->mu);
}

static void submit(struct engine *e, int b, uint64_t off, size_t len)
{
	pthread_mutex_lock(&e->mu);
	e->queue[(e->q_head + e->q_n) % NBUF] = (struct job){ b, off, len };
	e->q_n++;
	e->submitted++;
	pthread_cond_signal(&e->cv_job);
	pthread_mutex_unlock(&e->mu);
}

/* Record a reader's failure (the first of any thread wins) and return r. */
static int failed(struct engine *e, int r, const char *step, uint64_t off)
{
	pthread_mutex_lock(&e->mu);
	if (!e->err) {
		e->err = r;
		e->err_step = step;
		e->err_off = off;
	}
	pthread_mutex_unlock(&e->mu);
	return r;
}

/* The first failure of any thread so far, or 0. */
static int first_error(struct engine *e)
{
	pthread_mutex_lock(&e->mu);
	int r = e->err;
	pthread_mutex_unlock(&e->mu);
	return r;
}

/* Progress, from the calling thread only (progress.h); the other reader
 * passes reports == false. */
static void report(struct engine *e, bool reports)
{
	struct bm_copy *c = e->c;
	if (!reports)
		return;
	pthread_mutex_lock(&e->mu);
	uint64_t done = e->completed + (c->block ? e->zeroed : 0);
	pthread_mutex_unlock(&e->mu);
	bm_watch_report(&c->watch, BM_PHASE_WRITE, done, e->total);
}

static void add_zeroed(struct engine *e, uint64_t len)
{
	pthread_mutex_lock(&e->mu);
	e->zeroed += len;
	pthread_mutex_unlock(&e->mu);
}

/* Zeros where the image has a hole; the kernel guarantees they read back as zeros. */
static int zero(struct engine *e, uint64_t off, uint64_t len, bool reports)
{
	struct bm_copy *c = e->c;
	if (!len || (!c->block && c->fresh))
		return 0;
	if (!c->block) {
		if (fallocate(c->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0 ||
		    fallocate(c->fd, FALLOC_FL_ZERO_RANGE, (off_t)off, (off_t)len) == 0) {
			add_zeroed(e, len);
			return 0;
		}
		if (errno != EOPNOTSUPP)
			return failed(e, -errno, "punching a hole", off);
		/* a filesystem without either: write the zeros */
		int b = take_buf(e);
		memset(e->bufs[b], 0, CHUNK);
		int r = 0;
		for (uint64_t d = 0; d < len && r == 0; d += CHUNK) {
			size_t n = len - d < CHUNK ? (size_t)(len - d) : CHUNK;
			if ((r = pwrite_full(c->fd, e->bufs[b], n, off + d)) < 0)
				failed(e, r, "writing zeros", off + d);
		}
		give_back(e, b);
		if (r == 0)
			add_zeroed(e, len);
		return r;
	}
	for (uint64_t d = 0; d < len; d += ZERO_STEP) {
		if (cancelled(c))
			return -ECANCELED;
		uint64_t range[2] = { off + d, len - d < ZERO_STEP ? len - d : ZERO_STEP };
		if (ioctl(c->fd, BLKZEROOUT, range) < 0)
			return failed(e, -errno, "zeroing", range[0]);
		add_zeroed(e, range[1]);
		report(e, reports);
	}
	return 0;
}

/* The next boundary the held-back head and tail impose after pos. */
static uint64_t boundary(uint64_t pos, uint64_t size)
{
	if (pos < BM_MIB)
		return BM_MIB;
	if (pos < size - BM_MIB)
		return size - BM_MIB;
	return size;
}

/* Read and hash one range; hand its chunks to the workers, keep the parts
 * in the first and last MiB. */
static int copy_range(struct engine *e, size_t idx, struct bm_sha256 *sha, bool reports)
{
	struct bm_copy *c = e->c;
	const struct bm_range *rg = &c->map->v[idx];
	uint64_t src = c->src_at ? c->src_at[idx] - rg->offset : 0;   /* image offset -> source offset */
	uint64_t size = c->map->image_size, end = rg->offset + rg->length;
	for (uint64_t pos = rg->offset; pos < end; ) {
		if (cancelled(c))
			return -ECANCELED;
		int r = first_error(e);
		if (r < 0)
			return r;
		uint64_t stop = boundary(pos, size);
		if (stop > pos + CHUNK)
			stop = pos + CHUNK;
		if (stop > end)
			stop = end;
		size_t n = (size_t)(stop - pos);
		int b = take_buf(e);
		if ((r = pread_full(c->src_fd, e->bufs[b], n, pos + src)) < 0) {
			give_back(e, b);
			return failed(e, r, "reading the image", pos);
		}
		bm_sha256_update(sha, e->bufs[b], n);
		if (pos < BM_MIB) {
			memcpy(c->head + pos, e->bufs[b], n);
			give_back(e, b);
		} else if (pos >= size - BM_MIB) {
			memcpy(c->tail + (pos - (size - BM_MIB)), e->bufs[b], n);
			give_back(e, b);
		} else
			submit(e, b, pos, n);
		pos = stop;
		report(e, reports);
	}
	uint8_t sum[32];
	bm_sha256_final(sha, sum);
	if (memcmp(sum, rg->sha256, 32) != 0)
		return failed(e, -EBADMSG, "checking the SHA-256 of the image's range", rg->offset);
	return 0;
}

/* Holes of the image inside the written area (the first and last MiB are
 * written whole at the end). */
static uint64_t clip_hole(uint64_t from, uint64_t to, uint64_t size, uint64_t *start)
{
	if (from < BM_MIB)
		from = BM_MIB;
	if (to > size - BM_MIB)
		to = size - BM_MIB;
	*start = from;
	return to > from ? to - from : 0;
}

/* One reader: take the next range, zero the hole before it, read, hash and
 * hand it to the writers; until none is left or something failed. Ranges
 * are independent (each has its own SHA-256), so two readers hash on two
 * CPUs; hashing is what bounds the copy on fast storage. */
static int read_ranges(struct engine *e, bool reports)
{
	struct bm_copy *c = e->c;
	const struct bm_map *m = c->map;
	uint64_t size = m->image_size, start;
	_cleanup_(bm_sha256_freep) struct bm_sha256 *sha = bm_sha256_new();
	for (;;) {
		pthread_mutex_lock(&e->mu);
		size_t i = e->next_range++;
		pthread_mutex_unlock(&e->mu);
		if (i >= m->n)
			return 0;
		uint64_t prev = i ? m->v[i - 1].offset + m->v[i - 1].length : 0;
		uint64_t len = clip_hole(prev, m->v[i].offset, size, &start);
		int r = zero(e, start, len, reports);
		if (r == 0)
			r = copy_range(e, i, sha, reports);
		if (r < 0)
			return r;
	}
}

static void *reader(void *arg)
{
	struct engine *e = arg;
	(void)read_ranges(e, false);   /* its failure is recorded in the engine */
	pthread_mutex_lock(&e->mu);
	e->readers_left--;
	pthread_cond_broadcast(&e->cv_free);
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* The caller's part once its own reading is over: report progress as the
 * other reader and the workers finish, so the front end sees every chunk
 * land, whichever thread read it. */
static void follow(struct engine *e)
{
	pthread_mutex_lock(&e->mu);
	while (e->readers_left > 0 || e->retired < e->submitted) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&e->cv_free, &e->mu, &until);
		pthread_mutex_unlock(&e->mu);
		report(e, true);
		pthread_mutex_lock(&e->mu);
	}
	pthread_mutex_unlock(&e->mu);
}

static int run(struct engine *e)
{
	struct bm_copy *c = e->c;
	const struct bm_map *m = c->map;
	uint64_t size = m->image_size, prev = 0, start;
	for (size_t i = 0; i < m->n; i++) {
		uint64_t a = m->v[i].offset, b = a + m->v[i].length;
		e->total += clip_hole(a, b, size, &start);
		if (c->block)
			e->total += clip_hole(prev, a, size, &start);
		prev = b;
	}
	if (c->block)
		e->total += clip_hole(prev, size, size, &start);
	report(e, true);

	pthread_t th[READERS - 1];
	e->readers_left = READERS - 1;
	for (int i = 0; i < READERS - 1; i++)
		if (pthread_create(&th[i], NULL, reader, e) != 0)
			abort();
	(void)read_ranges(e, true);
	follow(e);
	for (int i = 0; i < READERS - 1; i++)
		pthread_join(th[i], NULL);
	int r = first_error(e);
	if (r == 0) {
		uint64_t len = clip_hole(prev, size, size, &start);
		r = zero(e, start, len, true);
	}
	return r;
}

int bm_copy_run(struct bm_copy *c)
{
	struct engine e = { .c = c };
	memset(c->head, 0, BM_MIB);
	memset(c->tail, 0, BM_MIB);
	c->written = c->zeroed = 0;
	c->fail_step = NULL;
	c->fail_offset = 0;
	pthread_mutex_init(&e.mu, NULL);
	pthread_cond_init(&e.cv_job, NULL);
	pthread_cond_init(&e.cv_free, NULL);
	for (int i = 0; i < NBUF; i++) {
		e.bufs[i] = aligned(CHUNK);
		e.free_bufs[e.n_free++] = i;
	}
	pthread_t th[WORKERS];
	for (int i = 0; i < WORKERS; i++)
		if (pthread_create(&th[i], NULL, worker, &e) != 0)
			abort();
	int r = run(&e);
	pthread_mutex_lock(&e.mu);
	e.done = true;
	pthread_cond_broadcast(&e.cv_job);
	pthread_mutex_unlock(&e.mu);
	for (int i = 0; i < WORKERS; i++)
		pthread_join(th[i], NULL);
	if (r == 0)
		r = first_error(&e);
	if (r == 0 && cancelled(c))
		r = -ECANCELED;   /* chunks were skipped after the signal */
	c->written = e.completed;
	c->zeroed = e.zeroed;
	if (r == 0 && fsync(c->fd) < 0)
		r = failed(&e, -errno, "flushing", 0);
	if (r == 0)
		report(&e, true);
	if (r < 0 && e.err) {
		c->fail_step = e.err_step;
		c->fail_offset = e.err_off;
	}
	for (int i = 0; i < NBUF; i++)
		free(e.bufs[i]);
	pthread_cond_destroy(&e.cv_free);
	pthread_cond_destroy(&e.cv_job);
	pthread_mutex_destroy(&e.mu);
	return r;
}
