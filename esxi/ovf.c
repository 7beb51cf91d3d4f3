/* OVF descriptor text; see ovf.h and the shared formats reference §2. */
#include "esxi/ovf.h"
#include "lib/xalloc.h"
#include "profiles/model.h"
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_OVF  "http://schemas.dmtf.org/ovf/envelope/1"
#define NS_RASD "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
#define NS_VSSD "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
#define NS_VMW  "http://www.vmware.com/schema/ovf"
#define NS_XSI  "http://www.w3.org/2001/XMLSchema-instance"
#define NS_CIM  "http://schemas.dmtf.org/wbem/wscim/1/common"
#define VMDK_STREAM_FORMAT "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
#define CIM_OS_DEBIAN_64 96     /* CIM_OperatingSystem: Debian 64-Bit */

void ovf_guest_os(unsigned hw, const char **os_type, const char **os_version)
{
	if (hw >= 20) {
		*os_type = "debian12_64Guest";
		*os_version = "12";
	} else if (hw >= 17) {
		*os_type = "debian11_64Guest";
		*os_version = "11";
	} else if (hw >= 14) {
		*os_type = "debian10_64Guest";
		*os_version = "10";
	} else if (hw == 13) {
		*os_type = "debian9_64Guest";
		*os_version = "9";
	} else {
		*os_type = "debian8_64Guest";
		*os_version = "8";
	}
}

static const char *controller_subtype(const char *s)
{
	if (!s)
		return NULL;
	if (!strcmp(s, "pvscsi"))
		return "VirtualSCSI";
	if (!strcmp(s, "lsilogic") || !strcmp(s, "lsilogicsas"))
		return s;
	return NULL;
}

int ovf_controller_check(const char *s)
{
	return controller_subtype(s) ? 0 : -EINVAL;
}

/* Printable ASCII only: the descriptor stays ASCII (formats §1.6) and no
 * control character can reach the XML. */
static bool ascii_text(const char *s)
{
	if (!s || !*s)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

/* A RASD Item: its rasd:* children are emitted in alphabetical order, as the
 * CIM schema's ordered sequence wants, whatever order they were added in. */
struct rasd_field {
	const char *key;
	char *value;
};
struct rasd_item {
	struct rasd_field f[16];
	size_t n;
};

static void item_set(struct rasd_item *it, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void item_set(struct rasd_item *it, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *v = NULL;
	if (vasprintf(&v, fmt, ap) < 0)
		abort();
	va_end(ap);
	it->f[it->n].key = key;
	it->f[it->n].value = v;
	it->n++;
}

static int field_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rasd_field *)a)->key, ((const struct rasd_field *)b)->key);
}

static void item_emit(struct buf *b, struct rasd_item *it)
{
	qsort(it->f, it->n, sizeof it->f[0], field_cmp);
	buf_puts(b, "      <Item>\n");
	for (size_t i = 0; i < it->n; i++) {
		buf_printf(b, "        <rasd:%s>", it->f[i].key);
		buf_put_markup(b, it->f[i].value);
		buf_printf(b, "</rasd:%s>\n", it->f[i].key);
		free(it->f[i].value);
	}
	buf_puts(b, "      </Item>\n");
	it->n = 0;
}

struct prop_def {
	const char *key, *label, *description;
};
static const struct prop_def override_props[] = {
	{ "hostname", "Hostname", "Host name for this VM; leave empty to use the one in the seed." },
	{ "address", "IPv4 address", "IPv4 address with prefix length (e.g. 192.168.40.200/28); leave empty to use the seed's." },
	{ "gateway", "Gateway", "IPv4 default gateway; leave empty to use the seed's." },
	{ "dns", "DNS servers", "Comma-separated IPv4 DNS servers; leave empty to use the seed's." },
};

static const struct prop_def *find_override(const char *key)
{
	for (size_t i = 0; i < sizeof override_props / sizeof override_props[0]; i++)
		if (!strcmp(override_props[i].key, key))
			return &override_props[i];
	return NULL;
}

static int check_params(const struct ovf_params *p)
{
	if (!ascii_text(p->name) || !ascii_text(p->product) || !ascii_text(p->version) ||
	    (p->annotation && !ascii_text(p->annotation)))
		return -EINVAL;
	if (!esxi_hardware_version_ok(p->hardware_version) || ovf_controller_check(p->disk_controller) < 0)
		return -EINVAL;
	const char *fw = p->firmware ? p->firmware : "efi";
	if (strcmp(fw, "efi") && strcmp(fw, "bios"))
		return -EINVAL;
	if (p->secure_boot && (strcmp(fw, "efi") || p->hardware_version < 13))
		return -EINVAL;
	if (p->vcpus < 1 || p->memory_mib < 4 || p->n_networks < 1 || p->n_disks < 1 || p->n_disks > 15)
		return -EINVAL;
	for (size_t i = 0; i < p->n_networks; i++)
		if (!ascii_text(p->networks[i]))
			return -EINVAL;
	for (size_t i = 0; i < p->n_disks; i++) {
		const struct ovf_disk *d = &p->disks[i];
		if (!ascii_text(d->href) || strchr(d->href, '/') || d->capacity == 0 || d->capacity % 512)
			return -EINVAL;
	}
	for (size_t i = 0; i < p->n_overridable; i++)
		if (!find_override(p->overridable[i]))
			return -EINVAL;
	return 0;
}

static void emit_property(struct buf *b, const char *key, const char *label, const char *desc, bool password)
{
	buf_printf(b, "      <Property ovf:key=\"%s\" ovf:type=\"string\"%s ovf:userConfigurable=\"true\" ovf:value=\"\">\n",
		   key, password ? " ovf:password=\"true\"" : "");
	buf_puts(b, "        <Label>");
	buf_put_markup(b, label);
	buf_puts(b, "</Label>\n        <Description>");
	buf_put_markup(b, desc);
	buf_puts(b, "</Description>\n      </Property>\n");
}

int ovf_build(const struct ovf_params *p, struct buf *b)
{
	if (check_params(p) < 0)
		return -EINVAL;
	unsigned hw = p->hardware_version;
	const char *os_type, *os_version;
	ovf_guest_os(hw, &os_type, &os_version);

	buf_puts(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_puts(b, "<Envelope vmw:buildId=\"kiln\" xmlns=\"" NS_OVF "\" xmlns:ovf=\"" NS_OVF "\"\n"
		    "    xmlns:rasd=\"" NS_RASD "\"\n"
		    "    xmlns:vssd=\"" NS_VSSD "\"\n"
		    "    xmlns:vmw=\"" NS_VMW "\" xmlns:xsi=\"" NS_XSI "\" xmlns:cim=\"" NS_CIM "\">\n");

	buf_puts(b, "  <References>\n");
	for (size_t i = 0; i < p->n_disks; i++) {
		buf_printf(b, "    <File ovf:id=\"file%zu\" ovf:href=\"", i + 1);
		buf_put_markup(b, p->disks[i].href);
		buf_printf(b, "\" ovf:size=\"%" PRIu64 "\"/>\n", p->disks[i].file_size);
	}
	buf_puts(b, "  </References>\n");

	buf_puts(b, "  <DiskSection>\n    <Info>Virtual disk information</Info>\n");
	for (size_t i = 0; i < p->n_disks; i++) {
		const struct ovf_disk *d = &p->disks[i];
		buf_printf(b, "    <Disk ovf:diskId=\"vmdisk%zu\" ovf:fileRef=\"file%zu\" ovf:capacity=\"%" PRIu64
			   "\" ovf:capacityAllocationUnits=\"byte\"", i + 1, i + 1, d->capacity);
		if (d->populated)
			buf_printf(b, " ovf:populatedSize=\"%" PRIu64 "\"", d->populated);
		buf_puts(b, " ovf:format=\"" VMDK_STREAM_FORMAT "\"/>\n");
	}
	buf_puts(b, "  </DiskSection>\n");

	buf_puts(b, "  <NetworkSection>\n    <Info>Logical networks</Info>\n");
	for (size_t i = 0; i < p->n_networks; i++) {
		buf_puts(b, "    <Network ovf:name=\"");
		buf_put_markup(b, p->networks[i]);
		buf_puts(b, "\">\n      <Description>");
		buf_put_markup(b, p->networks[i]);
		buf_puts(b, "</Description>\n    </Network>\n");
	}
	buf_puts(b, "  </NetworkSection>\n");

	buf_puts(b, "  <VirtualSystem ovf:id=\"");
	buf_put_markup(b, p->name);
	buf_puts(b, "\">\n    <Info>A kiln appliance</Info>\n    <Name>");
	buf_put_markup(b, p->name);
	buf_puts(b, "</Name>\n");
	buf_printf(b, "    <OperatingSystemSection ovf:id=\"%d\" ovf:version=\"%s\" vmw:osType=\"%s\">\n"
		      "      <Info>Guest operating system</Info>\n"
		      "      <Description>Debian GNU/Linux (64-bit)</Description>\n"
		      "    </OperatingSystemSection>\n", CIM_OS_DEBIAN_64, os_version, os_type);

	/* Both transports: vCenter attaches the ISO, guestinfo works with open-vm-tools. */
	buf_puts(b, "    <VirtualHardwareSection ovf:transport=\"iso com.vmware.guestInfo\">\n"
		    "      <Info>Virtual hardware requirements</Info>\n      <System>\n"
		    "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n"
		    "        <vssd:InstanceID>0</vssd:InstanceID>\n        <vssd:VirtualSystemIdentifier>");
	buf_put_markup(b, p->name);
	buf_printf(b, "</vssd:VirtualSystemIdentifier>\n"
		      "        <vssd:VirtualSystemType>vmx-%02u</vssd:VirtualSystemType>\n      </System>\n", hw);

	struct rasd_item it = { .n = 0 };
	unsigned id = 1;
	item_set(&it, "AllocationUnits", "hertz * 10^6");
	item_set(&it, "Description", "Number of virtual CPUs");
	item_set(&it, "ElementName", "%u virtual CPU(s)", p->vcpus);
	item_set(&it, "InstanceID", "%u", id++);
	item_set(&it, "ResourceType", "3");
	item_set(&it, "VirtualQuantity", "%u", p->vcpus);
	item_emit(b, &it);

	item_set(&it, "AllocationUnits", "byte * 2^20");
	item_set(&it, "Description", "Memory size");
	item_set(&it, "ElementName", "%u MB of memory", p->memory_mib);
	item_set(&it, "InstanceID", "%u", id++);
	item_set(&it, "ResourceType", "4");
	item_set(&it, "VirtualQuantity", "%u", p->memory_mib);
	item_emit(b, &it);

	unsigned scsi = id++;
	item_set(&it, "Address", "0");
	item_set(&it, "Description", "SCSI Controller");
	item_set(&it, "ElementName", "SCSI Controller 0");
	item_set(&it, "InstanceID", "%u", scsi);
	item_set(&it, "ResourceSubType", "%s", controller_subtype(p->disk_controller));
	item_set(&it, "ResourceType", "6");
	item_emit(b, &it);

	unsigned ide = id++;
	item_set(&it, "Address", "0");
	item_set(&it, "Description", "IDE Controller");
	item_set(&it, "ElementName", "IDE Controller 0");
	item_set(&it, "InstanceID", "%u", ide);
	item_set(&it, "ResourceType", "5");
	item_emit(b, &it);

	for (size_t i = 0; i < p->n_disks; i++) {
		/* SCSI unit 7 is the controller's own. */
		unsigned unit = (unsigned)i < 7 ? (unsigned)i : (unsigned)i + 1;
		item_set(&it, "AddressOnParent", "%u", unit);
		item_set(&it, "ElementName", "Hard Disk %zu", i + 1);
		item_set(&it, "HostResource", "ovf:/disk/vmdisk%zu", i + 1);
		item_set(&it, "InstanceID", "%u", id++);
		item_set(&it, "Parent", "%u", scsi);
		item_set(&it, "ResourceType", "17");
		item_emit(b, &it);
	}

	/* The CD-ROM the "iso" transport puts the OVF environment in. */
	item_set(&it, "AddressOnParent", "0");
	item_set(&it, "AutomaticAllocation", "false");
	item_set(&it, "Description", "CD-ROM drive for the OVF environment");
	item_set(&it, "ElementName", "CD-ROM 1");
	item_set(&it, "InstanceID", "%u", id++);
	item_set(&it, "Parent", "%u", ide);
	item_set(&it, "ResourceSubType", "vmware.cdrom.remotepassthrough");
	item_set(&it, "ResourceType", "15");
	item_emit(b, &it);

	for (size_t i = 0; i < p->n_networks; i++) {
		item_set(&it, "AddressOnParent", "%zu", 7 + i);
		item_set(&it, "AutomaticAllocation", "true");
		item_set(&it, "Connection", "%s", p->networks[i]);
		item_set(&it, "Description", "VmxNet3 ethernet adapter on \"%s\"", p->networks[i]);
		item_set(&it, "ElementName", "Network adapter %zu", i + 1);
		item_set(&it, "InstanceID", "%u", id++);
		item_set(&it, "ResourceSubType", "VmxNet3");
		item_set(&it, "ResourceType", "10");
		item_emit(b, &it);
	}

	/* vmx keys: firmware = "efi" | "bios"; uefi.secureBoot.enabled = "TRUE" */
	buf_printf(b, "      <vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" vmw:value=\"%s\"/>\n",
		   p->firmware ? p->firmware : "efi");
	if (p->secure_boot)
		buf_puts(b, "      <vmw:Config ovf:required=\"false\" vmw:key=\"uefi.secureBoot.enabled\" "
			    "vmw:value=\"true\"/>\n");
	buf_puts(b, "    </VirtualHardwareSection>\n");

	/* Class "kiln": the guest sees the keys as kiln.seed, kiln.hostname, ... */
	buf_puts(b, "    <ProductSection ovf:class=\"kiln\" ovf:required=\"false\">\n"
		    "      <Info>kiln first-boot settings</Info>\n      <Product>");
	buf_put_markup(b, p->product);
	buf_puts(b, "</Product>\n      <Vendor>kiln</Vendor>\n      <Version>");
	buf_put_markup(b, p->version);
	buf_puts(b, "</Version>\n      <Category>Host identity</Category>\n");
	emit_property(b, "seed", "Host seed",
		      "The seed of the host this VM becomes: the one line from 'kiln build' (<host>.seed) or "
		      "'kiln seed'. It is signed and its secrets are sealed to this image's role key.", true);
	if (p->n_overridable) {
		buf_puts(b, "      <Category>Network overrides (optional)</Category>\n");
		for (size_t i = 0; i < p->n_overridable; i++) {
			const struct prop_def *d = find_override(p->overridable[i]);
			emit_property(b, d->key, d->label, d->description, false);
		}
	}
	buf_puts(b, "    </ProductSection>\n");

	if (p->annotation) {
		buf_puts(b, "    <AnnotationSection>\n      <Info>Notes</Info>\n      <Annotation>");
		buf_put_markup(b, p->annotation);
		buf_puts(b, "</Annotation>\n    </AnnotationSection>\n");
	}
	buf_puts(b, "  </VirtualSystem>\n</Envelope>\n");
	return 0;
}
