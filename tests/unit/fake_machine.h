/* A fake sysfs machine for the machine facts and host pick tests: network
 * interfaces as the kernel lays them out (<sysfs>/class/net/IFACE ->
 * devices/<bus>/net/IFACE with address and a device link; virtual ones under
 * devices/virtual/net without one) and SMBIOS's class/dmi/id. Uses
 * fake_disks.h's helpers. */
#ifndef KILN_TEST_FAKE_MACHINE_H
#define KILN_TEST_FAKE_MACHINE_H
#include "fake_disks.h"

/* bus NULL: a virtual interface (lo, a bridge). */
static void fake_nic_add(const char *sysfs, const char *name, const char *bus, const char *address)
{
	char dir[1024], cmd[4096];
	if (bus)
		snprintf(dir, sizeof dir, "%s/devices/%s/net/%s", sysfs, bus, name);
	else
		snprintf(dir, sizeof dir, "%s/devices/virtual/net/%s", sysfs, name);
	snprintf(cmd, sizeof cmd, "mkdir -p %s %s/class/net && ln -sfn %s %s/class/net/%s", dir, sysfs, dir, sysfs, name);
	fake_sh(cmd);
	if (bus) {
		snprintf(cmd, sizeof cmd, "ln -sfn %s/devices/%s %s/device", sysfs, bus, dir);
		fake_sh(cmd);
	}
	fake_put(dir, "address", address);
}

/* NULL: the file is absent. */
static void fake_dmi(const char *sysfs, const char *serial, const char *uuid)
{
	char dir[1024], cmd[4400];
	snprintf(dir, sizeof dir, "%s/devices/virtual/dmi/id", sysfs);
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s %s/class/dmi && ln -sfn %s %s/class/dmi/id", dir, dir, sysfs,
		 dir, sysfs);
	fake_sh(cmd);
	if (serial)
		fake_put(dir, "product_serial", serial);
	if (uuid)
		fake_put(dir, "product_uuid", uuid);
}
#endif
