/* One first-boot run at a time; see run_lock.h. */
#include "firstboot/run_lock.h"
#include "lib/appliance.h"
#include "lib/cleanup.h"
#include "lib/fileio.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

static int lock_wait(int fd, int op)
{
	while (flock(fd, op) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int state_lock_take(const char *dir, const char *name, bool wait, const char *what)
{
	_cleanup_free_ char *p = path_join(dir, name);
	int r = mkdir_p(dir, 0755);
	if (r < 0)
		return log_error_errno(r, "creating %s", dir);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return log_error_errno(errno, "opening %s", p);
	r = lock_wait(fd, LOCK_EX | LOCK_NB);
	if (r == -EWOULDBLOCK && !wait) {
		close(fd);
		return log_error_errno(EBUSY, "%s: another run is still going (%s is held)", what, p);
	}
	if (r == -EWOULDBLOCK) {
		log_info("another %s is going (%s is held): waiting for it to end", what, p);
		r = lock_wait(fd, LOCK_EX);
	}
	if (r < 0) {
		close(fd);
		return log_error_errno(r, "locking %s", p);
	}
	return fd;
}

int run_lock_take(const char *state_dir)
{
	return state_lock_take(state_dir, KILN_RUN_LOCK_NAME, true, "first-boot run");
}

int run_lock_held(const char *state_dir)
{
	_cleanup_free_ char *p = path_join(state_dir, KILN_RUN_LOCK_NAME);
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = lock_wait(fd, LOCK_SH | LOCK_NB);
	if (r == -EWOULDBLOCK)
		return 1;
	return r;   /* 0: taken and dropped with the fd */
}
