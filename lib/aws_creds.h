/* AWS credentials for kiln's own API calls (kiln ec2 upload), found the way
 * the AWS CLI finds static keys:
 *   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
 *   2. the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE, default
 *      ~/.aws/credentials), section [$AWS_PROFILE] or [default]: keys
 *      aws_access_key_id, aws_secret_access_key, aws_session_token.
 * No SSO, assume-role or instance roles. A credentials file that group or
 * others can read gets a warning, not a refusal (the AWS CLI does not mind).
 * The secret key and session token are never logged; aws_creds_free wipes them. */
#ifndef KILN_AWS_CREDS_H
#define KILN_AWS_CREDS_H
#include <stddef.h>

struct aws_creds {
	char *access_key;
	char *secret_key;       /* secret */
	char *session_token;    /* secret; NULL if none */
	char *source;           /* "the environment" or "FILE [profile]", for messages */
};

/* 0, or logs why and returns -ENOKEY (nothing found / incomplete), -EINVAL
 * (malformed file, with file:line) or another -errno reading the file. */
int aws_creds_load(struct aws_creds *c);

/* The INI part, for tests: the [profile] section of text; path for messages.
 * -ENOENT if the profile is not there (not logged), -EINVAL/-ENOKEY logged. */
int aws_creds_parse(const char *path, const char *text, const char *profile, struct aws_creds *c);

void aws_creds_free(struct aws_creds *c);
#endif
