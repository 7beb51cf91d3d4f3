/* fb_interrupt POINT [run options...]: `kiln-firstboot run` that stops dead
 * when the agent reaches checkpoint POINT (firstboot/agent.h: "seed:stored",
 * "seed:pinned", "seed:owed", "seed", or a step's name once it is over), as
 * a power cut there would: no clean-up, no status written, exit 75. Runs to
 * the end (exit 0/1 as kiln-firstboot) if POINT is never reached. */
#include "firstboot/agent.h"
#include "firstboot/commands.h"
#include "lib/log.h"
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *stop_at;

static void stop_here(const char *point)
{
	if (strcmp(point, stop_at))
		return;
	fprintf(stderr, "fb_interrupt: stopped at %s\n", point);
	_exit(75);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: fb_interrupt POINT [kiln-firstboot run options]\n");
		return 2;
	}
	log_set_prefix("kiln-firstboot");
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return 1;
	stop_at = argv[1];
	agent_checkpoint_hook = stop_here;
	argv[1] = (char *)"run";
	int rc = fb_cmd_run(argc - 1, argv + 1);
	curl_global_cleanup();
	return rc;
}
