/* bench/backup.sh's uploader for the plain pipeline: stdin streamed into
 * one S3 object with kiln's own upload (firstboot/s3.h, the code
 * `kiln-firstboot backup full` uploads with: 8 MiB parts, multipart), so
 * the plain pipeline and kiln differ only in what kiln does to the stream.
 * Not a kiln command.
 *   BENCH_S3_AK=... BENCH_S3_SK=... s3_put ENDPOINT BUCKET KEY <stream
 * (credentials in the environment, not on argv). */
#include "firstboot/s3.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *ak = getenv("BENCH_S3_AK"), *sk = getenv("BENCH_S3_SK");
	if (argc != 4 || !ak || !sk) {
		fprintf(stderr, "usage: BENCH_S3_AK=.. BENCH_S3_SK=.. %s ENDPOINT BUCKET KEY <stream\n", argv[0]);
		return 2;
	}
	struct s3_conn c = { .endpoint = argv[1], .access_key = ak, .secret_key = sk, .timeout_ms = 30000 };
	struct s3_upload *u;
	int r = s3_upload_begin(&u, &c, argv[2], argv[3], "application/octet-stream", 0);
	static char b[1u << 16];
	ssize_t k;
	while (r == 0 && (k = read(STDIN_FILENO, b, sizeof b)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		r = k < 0 ? -errno : s3_upload_write(u, b, (size_t)k);
	}
	unsigned long long bytes = 0;
	if (r == 0)
		r = s3_upload_finish(u, &bytes);
	if (r < 0)
		fprintf(stderr, "s3_put: %s: %s\n", strerror(-r), s3_upload_why(u));
	s3_upload_free(u);
	return r < 0;
}
