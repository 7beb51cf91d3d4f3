/* Strict unsigned decimal numbers, for command-line options and fields read
 * back from files: digits only (no sign, no blanks, no "0x", nothing after
 * the last digit), within [min, max]. strtoul would take "abc" as 0, "-1" as
 * its largest value and "90s" as 90. */
#ifndef KILN_NUMPARSE_H
#define KILN_NUMPARSE_H
#include <stdint.h>

/* 0, -EINVAL (not a decimal number) or -ERANGE (outside [min, max]). */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
#endif
