#include "firstboot/imds_lock.h"

void imds_lock_rules(struct buf *out)
{
	buf_puts(out, "\n# Added by kiln-firstboot on EC2: only root reaches the instance metadata\n"
		      "# service, whose user data is this host's seed (docs/firstboot.md).\n"
		      "table inet " IMDS_LOCK_TABLE " {\n"
		      "\tcounter refused {\n\t}\n\n"
		      "\tchain output {\n"
		      "\t\ttype filter hook output priority filter; policy accept;\n"
		      "\t\tip daddr " IMDS_ADDR4 " meta skuid != 0 counter name \"refused\" reject with icmpx type admin-prohibited\n"
		      "\t\tip6 daddr " IMDS_ADDR6 " meta skuid != 0 counter name \"refused\" reject with icmpx type admin-prohibited\n"
		      "\t}\n"
		      "}\n");
}
