/* firstboot/lazy_libs.c when dlopen cannot load libcurl, libxml2,
 * libarchive or libsystemd: every function fails the way its library reports
 * failure (NULL, CURLE_FAILED_INIT, ARCHIVE_FATAL, sd-bus's -ELIBACC...),
 * after one logged error that names the library and the loader's reason
 * (tests/unit/lazy_libs_failing.h). */
#include "tests/unit/lazy_libs_failing.h"

int main(void)
{
	return run_failing_tests(LAZY_FAIL_DLOPEN);
}
