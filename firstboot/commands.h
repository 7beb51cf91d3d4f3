/* kiln-firstboot subcommands, one file each (firstboot/cmd_*.c). */
#ifndef KILN_FB_COMMANDS_H
#define KILN_FB_COMMANDS_H
int fb_cmd_status(int argc, char **argv);
int fb_cmd_detect(int argc, char **argv);
int fb_cmd_fetch_seed(int argc, char **argv);
int fb_cmd_run(int argc, char **argv);
int fb_cmd_repurpose(int argc, char **argv);
int fb_cmd_metrics(int argc, char **argv);
int fb_cmd_archive_drops(int argc, char **argv);
int fb_cmd_backup(int argc, char **argv);
int fb_cmd_galera(int argc, char **argv);

/* Where the agent keeps its state; KILN_STATE_DIR overrides (tests). */
const char *fb_state_dir(void);
#endif
