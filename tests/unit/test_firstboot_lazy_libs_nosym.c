/* firstboot/lazy_libs.c when libcurl, libxml2, libarchive or libsystemd
 * loads but lacks a function it needs (the last it looks up): the library
 * counts as missing, none of the functions found before is called, and one
 * error names the function (tests/unit/lazy_libs_failing.h). */
#include "tests/unit/lazy_libs_failing.h"

int main(void)
{
	return run_failing_tests(LAZY_FAIL_DLSYM);
}
