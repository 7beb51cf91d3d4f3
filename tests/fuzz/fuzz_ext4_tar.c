/* Fuzz ext4_from_tar() with arbitrary tar bytes: it must never crash, and a
 * refused entry must be an error, not a broken image. The image is a 16 MiB
 * sparse file reused across runs. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "images/ext4_writer.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(enum log_level lvl, const char *msg, void *ud) { (void)lvl; (void)msg; (void)ud; }

static char tar_path[64], img_path[64];

static void setup(void)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(tar_path, sizeof(tar_path), "%.40s/kiln-fuzz-XXXXXX", tmp);
	int fd = mkstemp(tar_path);
	if (fd < 0)
		abort();
	close(fd);
	snprintf(img_path, sizeof(img_path), "%.40s/kiln-fuzz-XXXXXX", tmp);
	fd = mkstemp(img_path);
	if (fd < 0 || ftruncate(fd, 16 << 20) < 0)
		abort();
	close(fd);
	log_set_sink(quiet, NULL);
}

static void cleanup(void)
{
	unlink(tar_path);
	unlink(img_path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!tar_path[0]) {
		setup();
		atexit(cleanup);
	}
	FILE *f = fopen(tar_path, "wb");
	if (!f || fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);
	struct ext4_params p;
	memset(&p, 0, sizeof(p));
	p.timestamp = 1700000000;
	(void)ext4_from_tar(img_path, 0, 16 << 20, &p, tar_path, NULL, 0, NULL, NULL, NULL);
	return 0;
}
