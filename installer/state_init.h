/* What `kiln keys init` and `kiln secrets init` do to a deployment's state
 * directory (installer/keystore.h has its layout), as one function that
 * `kiln build` calls too when the directory lacks them: under the state
 * lock, in one transaction (installer/state.h), each unit is checked and
 * kept, made when missing, or — broken — refused with its repair unless
 * repair is asked. Nothing is written when any unit is refused. */
#ifndef KILN_STATE_INIT_H
#define KILN_STATE_INIT_H
#include <stdbool.h>
#include "installer/state.h"
#include "lib/buf.h"
#include "profiles/model.h"

enum { STATE_INIT_KEYS = 1, STATE_INIT_SECRETS = 2 };

struct state_init {
	const char *profile, *state;   /* the profile's path (for messages), the state directory */
	const struct model *m;
	unsigned what;                 /* STATE_INIT_* */
	bool force, repair;            /* --force (keys: new pairs), --repair (mend broken units) */
	/* out: */
	struct buf out;                /* a line per unit: "role key app: created (...)", "tls_key: kept" */
	int changed;                   /* units made, replaced or mended, and a newly claimed directory */
	/* while running: */
	struct state_txn *t;
	int refused;
	char *ca_pem, *ca_key;         /* secrets: the CA that issues (kept or new); ca_key private memory */
	bool ca_new;                   /* secrets: made in this run, so every certificate is issued anew */
};

/* 0 (committed), or -errno: -EBADMSG when a unit was refused (each logged
 * with its repair), others logged. s->out is filled either way; free it. */
int state_init_run(struct state_init *s);

/* The parts, staged into s->t (state_init.c runs them): keys_init.c and
 * secrets_init.c. Each returns 0 or -errno, counting refusals in s->refused. */
int state_init_keys(struct state_init *s);
int state_init_secrets(struct state_init *s);
#endif
