/* Strict unsigned numbers, for command-line options, environment variables,
 * recipe modes, profile integers and fields read back from files: digits
 * only (no sign, no blanks, no "0x", nothing after the last digit), within
 * [min, max]. strtoul would take "abc" as 0, "-1" as its largest value and
 * "90s" as 90. */
#ifndef KILN_NUMPARSE_H
#define KILN_NUMPARSE_H
#include <stdint.h>

/* Decimal. 0, -EINVAL (not a number) or -ERANGE (outside [min, max], also
 * when too large for 64 bits). *out is left alone on failure. */
int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* The same in base 8, 10 or 16 (recipe file modes are octal). */
int parse_u64_base(const char *s, unsigned base, uint64_t min, uint64_t max, uint64_t *out);

/* For one of kiln's options (decimal): on failure logs
 *   "OPT wants a number from MIN to MAX, not 'ARG'"
 * and returns -EINVAL; the command then exits 2 (usage error). */
int option_u64(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out);
int option_uint(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *out);
#endif
