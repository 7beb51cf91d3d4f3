/* kiln seed PROFILE --host NAME --out FILE: the host's signed, sealed seed.
 * kiln seed --inspect FILE: its public part and whether the signature holds. */
#include "installer/commands.h"
#include "installer/keystore.h"
#include "installer/state.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/seed.h"
#include "lib/xalloc.h"
#include "profiles/profile.h"
#include "profiles/secrets_catalog.h"
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static void seed_usage(FILE *f)
{
	fprintf(f, "Usage: kiln seed PROFILE --host NAME --out FILE [--state DIR]\n"
		   "       kiln seed --inspect FILE [--state DIR]\n\n"
		   "Build a host's seed: the profile (public topology), the public CA/TLS\n"
		   "certificates and the secrets that host needs, sealed to its role key and\n"
		   "signed by the operator key, with a new serial (DIR/serial). The seed is one\n"
		   "line of text, safe to share (EC2 user data, OVF property, git).\n\n"
		   "  --host NAME     host of the profile\n"
		   "  --out FILE      where to write the seed (atomically)\n"
		   "  --state DIR     state directory (default <profile dir>/.kiln/<deployment>/)\n"
		   "  --inspect FILE  show a seed's public part and secret names (never values);\n"
		   "                  with --state, check its signature against DIR/operator.pub\n");
}

/* Next serial: <state>/serial + 1, under a lock so parallel runs never share one. */
static int next_serial(const char *state, uint64_t *out)
{
	char *lp = path_join(state, "serial.lock"), *sp = path_join(state, "serial"), *t = NULL;
	int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600), r = 0;
	uint64_t n = 0;
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		r = log_error_errno(errno, "cannot lock %s", lp);
		goto done;
	}
	size_t len;
	r = read_file(sp, 64, &t, &len);
	if (r == -ENOENT)
		r = 0;
	else if (r < 0) {
		log_error_errno(r, "cannot read %s", sp);
		goto done;
	} else {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(t, &end, 10);
		if (errno || end == t || (*end && strcmp(end, "\n") != 0) || v == UINT64_MAX) {
			r = log_error_errno(EBADMSG, "%s is not a serial number", sp);
			goto done;
		}
		n = v;
	}
	char num[32];
	int k = snprintf(num, sizeof num, "%" PRIu64 "\n", n + 1);
	r = write_file_atomic(sp, num, (size_t)k, 0600);
	if (r < 0) {
		log_error_errno(r, "cannot write %s", sp);
		goto done;
	}
	*out = n + 1;
done:
	if (fd >= 0)
		close(fd);   /* releases the lock */
	free(t);
	free(lp);
	free(sp);
	return r;
}

static void add_public_file(const char *state, const char *name, struct seed_file **v, size_t *n)
{
	char *p = path_join(state, name), *t;
	size_t len;
	if (read_file(p, 65536, &t, &len) == 0) {
		*v = xrealloc(*v, (*n + 1) * sizeof **v);
		(*v)[(*n)++] = (struct seed_file){ xstrdup(name), (uint8_t *)t, len };
	}
	free(p);
}

static int build(const char *profile, const char *host_name, const char *out, const char *state_opt)
{
	char *text = NULL, *state = NULL;
	size_t tlen;
	struct model m;
	struct diags d = { 0 };
	bool have_model = false;
	struct minisign_key *op = NULL;
	struct seed_file *files = NULL;
	struct seed_secret *secrets = NULL;
	size_t n_files = 0, n_secrets = 0;
	const char **names = NULL;
	struct buf sbuf;
	buf_init(&sbuf);
	int ret = 1, r;

	/* The same bytes are parsed here and put in the seed, so the host rebuilds this model. */
	r = read_file(profile, PROFILE_MAX_BYTES, &text, &tlen);
	if (r < 0) {
		log_error_errno(r, "cannot read %s", profile);
		goto done;
	}
	if (profile_load_buffer(profile, text, tlen, &m, &d) < 0) {
		diags_print(&d, stderr);
		log_error("%s: %zu error%s in profile", profile, d.n, d.n == 1 ? "" : "s");
		goto done;
	}
	have_model = true;
	const struct host *h = model_find_host(&m, host_name);
	if (!h) {
		log_error("host '%s' is not in %s", host_name, profile);
		goto done;
	}
	state = state_dir_resolve(state_opt, profile, m.name);
	uint8_t role_pk[32];
	if (keystore_check_dir(state) < 0 || keystore_load_operator_key(state, &op) < 0 ||
	    keystore_load_role_pub(state, role_name(h->role), role_pk) < 0)
		goto done;

	size_t n = secret_names(&m, &names);
	secrets = xcalloc(n ? n : 1, sizeof *secrets);
	for (size_t i = 0; i < n; i++) {
		if (!host_needs_secret(&m, h, names[i]))
			continue;
		char *p = xasprintf("%s/secrets/%s", state, names[i]);
		if (access(p, F_OK) < 0) {
			log_error("secret %s is missing (%s); run 'kiln secrets init %s'", names[i], p, profile);
			free(p);
			goto done;
		}
		struct seed_secret *s = &secrets[n_secrets];
		r = keystore_read_private(p, &s->value, &s->len);
		free(p);
		if (r < 0)
			goto done;
		s->name = (char *)names[i];
		n_secrets++;
	}
	add_public_file(state, "ca.pem", &files, &n_files);
	if (h->role == ROLE_APP)
		add_public_file(state, "tls_cert.pem", &files, &n_files);

	uint64_t serial = 0;
	if (next_serial(state, &serial) < 0)
		goto done;
	struct seed_params sp = {
		.model = &m, .topology = text, .topology_len = tlen, .host = host_name,
		.serial = serial, .created = (int64_t)time(NULL),
		.files = files, .n_files = n_files, .secrets = secrets, .n_secrets = n_secrets,
	};
	r = seed_build(&sp, role_pk, op, &sbuf);
	if (r < 0) {
		log_error_errno(r, "cannot build the seed for %s", host_name);
		goto done;
	}
	if (sbuf.len > SEED_EC2_USERDATA_MAX) {
		if (m.targets & TARGET_EC2) {
			log_error("seed for %s is %zu bytes, over EC2's %u byte user-data limit (the profile targets ec2); "
				  "shrink the profile (comments, unused sections) or the app certificate",
				  host_name, sbuf.len, SEED_EC2_USERDATA_MAX);
			goto done;
		}
		log_warn("seed for %s is %zu bytes: too large for EC2 user data (%u bytes), fine for other targets",
			 host_name, sbuf.len, SEED_EC2_USERDATA_MAX);
	}
	r = write_file_atomic(out, sbuf.data, sbuf.len, 0644);
	if (r < 0) {
		log_error_errno(r, "cannot write %s", out);
		goto done;
	}
	fprintf(stderr, "kiln: seed for %s (%s, serial %" PRIu64 ", %zu secret%s) written to %s, %zu bytes\n",
		host_name, role_name(h->role), serial, n_secrets, n_secrets == 1 ? "" : "s", out, sbuf.len);
	ret = 0;
done:
	for (size_t i = 0; i < n_secrets; i++)
		keystore_free_private(secrets[i].value);
	free(secrets);
	for (size_t i = 0; i < n_files; i++) {
		free(files[i].name);
		free(files[i].data);
	}
	free(files);
	free(names);
	minisign_key_free(op);
	buf_free(&sbuf);
	diags_free(&d);
	if (have_model)
		model_free(&m);
	free(text);
	free(state);
	return ret;
}

static int inspect(const char *file, const char *state)
{
	char *text;
	size_t len;
	int r = read_file(file, SEED_MAX_BYTES, &text, &len);
	if (r < 0)
		return log_error_errno(r, "cannot read %s", file), 1;
	struct minisign_pub pub;
	bool check = state != NULL;
	if (check && keystore_load_operator_pub(state, &pub) < 0) {
		free(text);
		return 1;
	}
	struct seed s;
	int sig = 0;
	r = seed_inspect(text, len, check ? &pub : NULL, &s, &sig);
	free(text);
	if (r < 0) {
		log_error("%s: %s", file, seed_strerror(r));
		return 1;
	}
	char id[17], when[64];
	time_t t = (time_t)s.created;
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	minisign_keyid(s.keynum, id);
	printf("format: %u\ndeployment: %s\nhost: %s\nrole: %s\nserial: %" PRIu64 "\ncreated: %s\n",
	       s.version, s.deployment, s.host, s.role, s.serial, when);
	printf("topology: %zu bytes of profile YAML\n", s.topology_len);
	for (size_t i = 0; i < s.n_files; i++)
		printf("file: %s (%zu bytes)\n", s.files[i].name, s.files[i].len);
	printf("secrets (sealed, values not shown):");
	for (size_t i = 0; i < s.n_secret_names; i++)
		printf(" %s", s.secret_names[i]);
	printf("\nsigned by: %s\ntrusted comment: %s\n", id, s.trusted_comment);
	int ret = 0;
	if (!check)
		printf("signature: not checked (give --state DIR to check it)\n");
	else if (sig == 0)
		printf("signature: verified with %s/operator.pub\n", state);
	else {
		printf("signature: NOT VALID (%s)\n", seed_strerror(sig));
		log_error("%s: %s", file, seed_strerror(sig));
		ret = 1;
	}
	seed_free(&s);
	return ret;
}

int cmd_seed(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "out", required_argument, NULL, 'o' },
		{ "state", required_argument, NULL, 's' },
		{ "inspect", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = NULL, *out = NULL, *state = NULL, *insp = NULL;
	int c;
	optind = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': host = optarg; break;
		case 'o': out = optarg; break;
		case 's': state = optarg; break;
		case 'i': insp = optarg; break;
		case 'h': seed_usage(stdout); return 0;
		default: seed_usage(stderr); return 2;
		}
	}
	if (insp) {
		if (optind != argc || host || out) {
			seed_usage(stderr);
			return 2;
		}
		return inspect(insp, state);
	}
	if (argc - optind != 1 || !host || !out) {
		seed_usage(stderr);
		return 2;
	}
	return build(argv[optind], host, out, state);
}
