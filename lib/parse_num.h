/* The one strict parser for unsigned integers in text kiln is given:
 * command-line options, environment variables, recipe modes, profile
 * integers. Only digits of the base: no sign, no leading or trailing space,
 * no "0x" prefix, not empty, nothing after the number. A value outside
 * [min, max], including one too large for 64 bits, is out of range. */
#ifndef KILN_PARSE_NUM_H
#define KILN_PARSE_NUM_H
#include <stdint.h>

/* base 8, 10 or 16. 0, -EINVAL (not a number) or -ERANGE (outside [min, max]). */
int parse_u64(const char *s, unsigned base, uint64_t min, uint64_t max, uint64_t *out);
int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);   /* base 10 */

/* For an option's argument (base 10). On failure logs
 *   "OPT wants a number from MIN to MAX, not 'ARG'"
 * and returns -EINVAL: the command exits 2 (usage error). *out is left
 * unchanged on failure. */
int option_u64(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *out);
int option_uint(const char *opt, const char *arg, unsigned min, unsigned max, unsigned *out);
#endif
