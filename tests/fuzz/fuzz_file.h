/* For harnesses whose code under test reads a path, as kiln does: the
 * input written to a real file (not /proc/self/fd/N, a symbolic link that
 * code opening without following links refuses) in a directory on tmpfs
 * (fsync costs nothing there), made once per process and removed at exit
 * when empty. */
#ifndef KILN_FUZZ_FILE_H
#define KILN_FUZZ_FILE_H
#include "lib/fileio.h"
#include "lib/xalloc.h"
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static char *fuzz_dir;

static void fuzz_dir_remove(void)
{
	rmdir(fuzz_dir);
}

/* <fuzz_dir>/<name>, malloc'd; fuzz_dir is made on the first call. */
static char *fuzz_path(const char *name)
{
	if (!fuzz_dir) {
		char tmpl[] = "/dev/shm/kiln-fuzz-XXXXXX";
		if (!mkdtemp(tmpl))
			abort();
		fuzz_dir = xstrdup(tmpl);
		atexit(fuzz_dir_remove);
	}
	return path_join(fuzz_dir, name);
}

/* The input as <fuzz_dir>/<name> (0600); unlink and free the path after. */
static char *fuzz_file(const char *name, const uint8_t *data, size_t size)
{
	char *p = fuzz_path(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	return p;
}
#endif
