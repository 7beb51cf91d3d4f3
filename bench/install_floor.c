/* bench/install.sh's floor: the data bytes of an image read once and written
 * once into a fresh target file (SEEK_DATA/SEEK_HOLE runs, 8 MiB at a time,
 * then fsync) -- what any installer must at least do, with no checking.
 * With --read-back, also what any installer that checks its writes past the
 * page cache must do: every run read back with O_DIRECT and compared.
 *   install_floor IMAGE TARGET [--read-back]
 * Built by bench/install.sh; not part of kiln. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (8 << 20)

static char *b, *c;

/* Copy one data run [d, h) of in to out. */
static int copy_run(int in, int out, off_t d, off_t h)
{
	for (off_t o = d; o < h; ) {
		ssize_t n = pread(in, b, (size_t)(h - o < CHUNK ? h - o : CHUNK), o);
		if (n <= 0 || pwrite(out, b, (size_t)n, o) != n)
			return -1;
		o += n;
	}
	return 0;
}

/* Read the run back past the cache (rb is O_DIRECT) and compare. */
static int check_run(int in, int rb, off_t d, off_t h)
{
	d &= ~(off_t)4095;
	h = (h + 4095) & ~(off_t)4095;
	for (off_t o = d; o < h; ) {
		ssize_t n = pread(rb, c, (size_t)(h - o < CHUNK ? h - o : CHUNK), o);
		if (n <= 0 || pread(in, b, (size_t)n, o) != n || memcmp(b, c, (size_t)n) != 0)
			return -1;
		o += n;
	}
	return 0;
}

/* fn over every data run of in (SEEK_DATA/SEEK_HOLE). */
static int each_run(int in, off_t size, int (*fn)(int, int, off_t, off_t), int fd)
{
	for (off_t pos = 0; pos < size; ) {
		off_t d = lseek(in, pos, SEEK_DATA);
		if (d < 0)
			break;
		off_t h = lseek(in, d, SEEK_HOLE);
		if (fn(in, fd, d, h) < 0)
			return -1;
		pos = h;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "--read-back") != 0)) {
		fprintf(stderr, "usage: install_floor IMAGE TARGET [--read-back]\n");
		return 2;
	}
	int in = open(argv[1], O_RDONLY), out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct stat st;
	b = malloc(CHUNK);
	if (in < 0 || out < 0 || !b || fstat(in, &st) < 0 || ftruncate(out, st.st_size) < 0 ||
	    posix_memalign((void **)&c, 4096, CHUNK) != 0) {
		perror("install_floor");
		return 1;
	}
	if (each_run(in, st.st_size, copy_run, out) < 0 || fsync(out) < 0) {
		perror("install_floor: copy");
		return 1;
	}
	if (argc == 3)
		return 0;
	int rb = open(argv[2], O_RDONLY | O_DIRECT);
	if (rb < 0 || each_run(in, st.st_size, check_run, rb) < 0) {
		fprintf(stderr, "install_floor: the read back differs or failed\n");
		return 1;
	}
	return 0;
}
