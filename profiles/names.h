/* Name rules for the things a profile names. Each returns NULL when s is
 * acceptable, else a short reason ("must be ...") for a diagnostic. */
#ifndef KILN_NAMES_H
#define KILN_NAMES_H
const char *name_check_simple(const char *s, unsigned max);   /* [a-z0-9-], 1..max */
const char *name_check_hostname(const char *s);     /* RFC 1123 label, lower case */
const char *name_check_domain(const char *s);       /* dot-separated RFC 1123 labels */
const char *name_check_s3_bucket(const char *s);    /* AWS S3 bucket naming rules */
const char *name_check_identifier(const char *s, unsigned max);  /* [a-z][a-z0-9_]* (secrets) */
#endif
