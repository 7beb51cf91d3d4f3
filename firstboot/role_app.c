/* The app role; see role_app.h. */
#include "firstboot/role_app.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/input.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "profiles/app_env.h"
#include "profiles/names.h"
#include "profiles/syntax.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STEP "role"
#define APP_ENV_FILE KILN_ETC "/app.env"
#define APP_UNIT "/etc/systemd/system/" APP_UNIT_NAME

static int app_tls(struct agent *a, char *why, size_t why_len)
{
	if (agent_seed_file(a, "tls_cert.pem") && agent_secret(a, "tls_key"))
		return 0;   /* step "secrets" wrote both from the seed */
	/* No certificate in the seed: make a self-signed one here, once. */
	_cleanup_free_ char *crt = agent_path(a, KILN_ETC "/tls/tls_cert.pem");
	if (access(crt, F_OK) == 0)
		return 0;
	const struct model *m = a->model;
	_cleanup_free_ char *cn = xasprintf("/CN=%s", m->roles.app.server_name ? m->roles.app.server_name : a->host->name);
	_cleanup_free_ char *sd = agent_path(a, KILN_SECRETS_DIR);
	mkdir_p(sd, 0700);
	const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
			       "-nodes", "-days", "825", "-subj", cn, "-keyout", KILN_SECRETS_DIR "/tls_key",
			       "-out", KILN_ETC "/tls/tls_cert.pem", NULL };
	return agent_exec(a, argv, NULL, 0, why, why_len);
}

static int nginx_site(struct agent *a)
{
	const struct model *m = a->model;
	struct buf b;
	buf_init(&b);
	buf_printf(&b, "# Written by kiln-firstboot: TLS in front of the app service.\n"
		       "server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n"
		       "\treturn 308 https://$host$request_uri;\n}\n"
		       "server {\n\tlisten 443 ssl default_server;\n\tlisten [::]:443 ssl default_server;\n"
		       "\tserver_name %s;\n"
		       "\tssl_certificate " KILN_ETC "/tls/tls_cert.pem;\n"
		       "\tssl_certificate_key " KILN_SECRETS_DIR "/tls_key;\n"
		       "\tssl_protocols TLSv1.2 TLSv1.3;\n"
		       "\tclient_max_body_size 100m;\n"
		       "\tlocation / {\n\t\tproxy_pass http://127.0.0.1:%u;\n"
		       "\t\tproxy_set_header Host $host;\n\t\tproxy_set_header X-Forwarded-Proto https;\n"
		       "\t\tproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\t}\n}\n",
		   m->roles.app.server_name ? m->roles.app.server_name : "_", (unsigned)m->roles.app.port);
	int r = agent_write(a, "/etc/nginx/sites-enabled/kiln.conf", b.data, b.len, 0644);
	buf_free(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing the nginx site");
	_cleanup_free_ char *def = agent_path(a, "/etc/nginx/sites-enabled/default");
	unlink(def);
	return 0;
}

/* The environment, rendered from the profile's templates with the seed's
 * secrets (0600), in the syntax the service type reads. */
static int app_env(struct agent *a)
{
	struct buf b;
	buf_init(&b);
	_cleanup_free_ char *why = NULL;
	int r = app_env_render(a->model, agent_secret, a, &b, &why);
	if (r == 0)
		r = agent_write(a, APP_ENV_FILE, b.data ? b.data : "", b.len, 0600);
	buf_wipe(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "%s", why ? why : "writing " APP_ENV_FILE);
	return 0;
}

/* One pull: 0, or -errno with why in podman's words. */
static int pull_once(struct agent *a, const char *image, unsigned timeout_s, char *why, size_t why_len)
{
	char limit[16], raw[256] = "";
	snprintf(limit, sizeof limit, "%u", timeout_s);
	const char *argv[] = { "timeout", limit, "podman", "pull", "--quiet", image, NULL };
	int r = agent_exec(a, argv, NULL, 0, raw, sizeof raw);
	if (r == 0)
		return 0;
	/* agent_exec names argv[0]: say what timed out or failed instead. */
	if (!strncmp(raw, "timeout exited 124", 18))
		snprintf(why, why_len, "podman pull did not finish within %u s", timeout_s);
	else if (!strncmp(raw, "timeout ", 8))
		snprintf(why, why_len, "podman pull %.240s", raw + 8);
	else
		snprintf(why, why_len, "%.250s", raw);
	return r;
}

int app_image_pull(struct agent *a, const char *image, const struct app_pull_policy *p, char *why,
		   size_t why_len)
{
	char last[300] = "";
	unsigned wait = p->delay_s;
	for (unsigned i = 1;; i++) {
		int r = pull_once(a, image, p->timeout_s, last, sizeof last);
		if (r == 0)
			return 0;
		if (i >= p->attempts) {
			snprintf(why, why_len, "pulling %s failed after %u attempt%s: %s", image, p->attempts,
				 p->attempts == 1 ? "" : "s", last);
			return r;
		}
		status_set(&a->status, STEP, STEP_RUNNING, "pulling %s: attempt %u of %u failed, next in %u s: %s",
			   image, i, p->attempts, wait, last);
		agent_save(a);
		log_warn("pulling %s: attempt %u of %u failed, next in %u s: %s", image, i, p->attempts, wait, last);
		sleep(wait);
		wait = wait * 2 > 60 ? 60 : wait * 2;
	}
}

/* The baked archive's recorded sha256, shortened for the status line. */
static void archive_sha(const struct agent *a, char out[17])
{
	_cleanup_free_ char *p = agent_path(a, KILN_APP_ARCHIVE_SHA), *text = NULL;
	size_t len;
	strcpy(out, "unrecorded");
	if (read_input(p, 0, 4096, &text, &len) == 0 && len >= 16 && strspn(text, "0123456789abcdef") >= 64)
		snprintf(out, 17, "%.16s", text);
}

int app_image_get(struct agent *a, char *note, size_t note_len)
{
	const char *image = a->model->roles.app.image;
	char why[400] = "";
	int r = 0;
	switch (app_image_source(a->model)) {
	case APP_IMAGE_ARCHIVE: {
		_cleanup_free_ char *p = agent_path(a, KILN_APP_ARCHIVE);
		if (access(p, R_OK) < 0)
			return agent_step_end(a, STEP, -ENOENT, "the image carries no %s for service.archive (was it "
					      "built from this profile?)", KILN_APP_ARCHIVE);
		char sha[17];
		archive_sha(a, sha);
		const char *load[] = { "podman", "load", "--quiet", "--input", KILN_APP_ARCHIVE, NULL };
		const char *exists[] = { "podman", "image", "exists", image, NULL };
		if ((r = agent_exec(a, load, NULL, 0, why, sizeof why)) < 0)
			return agent_step_end(a, STEP, r, "loading %s: %s", KILN_APP_ARCHIVE, why);
		if ((r = agent_exec(a, exists, NULL, 0, why, sizeof why)) < 0)
			return agent_step_end(a, STEP, r, "%s (sha256 %s...) holds no image named %s: name it so "
					      "when saving the archive, or set service.image to its name",
					      KILN_APP_ARCHIVE, sha, image);
		snprintf(note, note_len, "; image %s loaded from the image's archive (sha256 %s...)", image, sha);
		return 0;
	}
	case APP_IMAGE_REGISTRY: {
		static const struct app_pull_policy policy = APP_PULL_POLICY;
		if ((r = app_image_pull(a, image, &policy, why, sizeof why)) < 0)
			return agent_step_end(a, STEP, r, "%s", why);
		snprintf(note, note_len, "; image %s pulled", image);
		return 0;
	}
	case APP_IMAGE_TRANSPORT:
		snprintf(note, note_len, "; podman reads %s when the app starts", image);
		return 0;
	}
	return 0;
}

/* A container runs the way `podman generate systemd --new` writes a unit
 * (Type=notify through conmon, the container gone when the unit stops),
 * its environment from the podman-syntax env file; a first start on a small
 * VM may be slow, so it gets 5 minutes. The image is in the store by now
 * (loaded or pulled), so nothing is pulled at start. */
void app_unit_render(const struct model *m, struct buf *b)
{
	buf_puts(b, "# Written by kiln-firstboot: the app service.\n[Unit]\n");
	if (m->roles.app.type == APP_CONTAINER) {
		bool stored = app_image_source(m) != APP_IMAGE_TRANSPORT;
		buf_printf(b, "Description=kiln app service (container %s)\nWants=network-online.target\n"
			      "After=network-online.target\nRequiresMountsFor=%%t/containers\n\n[Service]\n"
			      "Environment=PODMAN_SYSTEMD_UNIT=%%n\nRestart=on-failure\nRestartSec=2\nTimeoutStartSec=300\n"
			      "TimeoutStopSec=70\n"
			      "ExecStartPre=/bin/rm -f %%t/%%n.ctr-id\n"
			      "ExecStart=/usr/bin/podman run --cidfile=%%t/%%n.ctr-id --cgroups=no-conmon --rm "
			      "--sdnotify=conmon -d --replace --name kiln-app --env-file " APP_ENV_FILE " --network host%s %s\n"
			      "ExecStop=/usr/bin/podman stop --ignore -t 10 --cidfile=%%t/%%n.ctr-id\n"
			      "ExecStopPost=/usr/bin/podman rm -f --ignore -t 10 --cidfile=%%t/%%n.ctr-id\n"
			      "Type=notify\nNotifyAccess=all\n",
			   m->roles.app.image, stored ? " --pull never" : "", m->roles.app.image);
	} else
		buf_printf(b, "Description=kiln app service\nWants=network-online.target\nAfter=network-online.target\n\n"
			      "[Service]\nEnvironmentFile=" APP_ENV_FILE "\nExecStart=%s\nDynamicUser=yes\n"
			      "Restart=on-failure\nRestartSec=2\n", m->roles.app.exec);
	buf_puts(b, "\n[Install]\nWantedBy=multi-user.target\n");
}

int role_app(struct agent *a)
{
	const struct model *m = a->model;
	/* Written verbatim into the certificate subject, nginx's server_name and
	 * the unit: the profile loader checked them (profiles/syntax.h, names.h);
	 * refuse here too rather than write a bad file. */
	if (m->roles.app.server_name && name_check_domain(m->roles.app.server_name))
		return agent_step_end(a, STEP, -EINVAL, "the app's TLS server_name is not a DNS name");
	if (m->roles.app.type == APP_CONTAINER ? !m->roles.app.image || syntax_container_image(m->roles.app.image)
					       : !m->roles.app.exec || syntax_systemd_exec(m->roles.app.exec))
		return agent_step_end(a, STEP, -EINVAL, "the app's %s cannot be written into a systemd unit",
				      m->roles.app.type == APP_CONTAINER ? "image" : "command line");
	char why[300] = "", note[200] = "";
	agent_phase(a, "tls");
	int r = app_tls(a, why, sizeof why);
	if (r < 0)
		return agent_step_end(a, STEP, r, "making a self-signed certificate: %s", why);
	agent_phase(a, "config");
	if ((r = nginx_site(a)) < 0 || (r = app_env(a)) < 0)
		return r;
	agent_phase(a, "image");
	if (m->roles.app.type == APP_CONTAINER && (r = app_image_get(a, note, sizeof note)) < 0)
		return r;
	agent_phase(a, "units");

	struct buf b;
	buf_init(&b);
	app_unit_render(m, &b);
	r = agent_write(a, APP_UNIT, b.data, b.len, 0644);
	buf_free(&b);
	if (r < 0)
		return agent_step_end(a, STEP, r, "writing " APP_UNIT_NAME);
	/* A daemon-reload only when systemd has the unit loaded from an older
	 * file (a re-run with a newer seed): a unit it never loaded is read from
	 * disk when first asked for. An unconditional reload took 3.3-6.7 s of
	 * an app host's first boot under TCG, more with monitoring's units
	 * loaded (bench/RESULTS.md). */
	static const char *const unit[] = { APP_UNIT_NAME };
	const char *nginx[] = { "systemctl", "restart", "nginx.service", NULL };
	if ((r = agent_reload_if_needed(a, STEP, unit, 1, why, sizeof why)) < 0)
		return agent_step_end(a, STEP, r, "systemctl daemon-reload: %s", why);
	agent_phase(a, "restart-nginx");
	if ((r = agent_exec(a, nginx, NULL, 0, why, sizeof why)) < 0)
		return agent_step_end(a, STEP, r, "starting nginx: %s", why);
	return agent_step_end(a, STEP, 0, "nginx serving TLS%s; app starts after join", note);
}
