/* After the seed is applied on EC2, only root may reach the instance
 * metadata service: its user data is this host's seed (sealed, but the
 * topology is readable) and it hands out the instance role's credentials.
 * An nftables table of kiln's own, "kiln_imds", rejects every packet to the
 * IMDS addresses (169.254.169.254, fd00:ec2::254) from a socket whose owner
 * is not uid 0, in the output hook, with "administratively prohibited": such
 * a process's connect() fails at once (EHOSTUNREACH, EACCES over IPv6)
 * instead of waiting out its timeout. The agent appends the table to the host's ruleset
 * (/etc/nftables.conf), so it is loaded with it by the identity step and by
 * nftables.service at every boot. The idea is systemd's "locked" IMDS mode. */
#ifndef KILN_FB_IMDS_LOCK_H
#define KILN_FB_IMDS_LOCK_H
#include "lib/buf.h"

#define IMDS_LOCK_TABLE "kiln_imds"
#define IMDS_ADDR4 "169.254.169.254"
#define IMDS_ADDR6 "fd00:ec2::254"

/* Appends the table (nft -f syntax) to out. */
void imds_lock_rules(struct buf *out);
#endif
