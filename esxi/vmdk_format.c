#include "esxi/vmdk_format.h"
#include "lib/buf.h"
#include <errno.h>
#include <string.h>

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

void vmdk_header_encode(const struct vmdk_header *h, uint8_t out[VMDK_SECTOR])
{
	memset(out, 0, VMDK_SECTOR);
	put_u32(out + 0, VMDK_MAGIC);
	put_u32(out + 4, 3);                        /* version */
	put_u32(out + 8, VMDK_FLAGS_STREAM);
	put_u64(out + 12, h->capacity);
	put_u64(out + 20, VMDK_GRAIN_SECTORS);
	put_u64(out + 28, 1);                       /* descriptorOffset */
	put_u64(out + 36, h->descriptor_size);
	put_u32(out + 44, VMDK_GTES_PER_GT);
	put_u64(out + 48, 0);                       /* rgdOffset: no redundant GD */
	put_u64(out + 56, h->gd_offset);
	put_u64(out + 64, VMDK_OVERHEAD);
	out[72] = 0;                                /* uncleanShutdown */
	out[73] = '\n';                             /* text-mode corruption check */
	out[74] = ' ';
	out[75] = '\r';
	out[76] = '\n';
	put_u16(out + 77, 1);                       /* compressAlgorithm: deflate */
}

void vmdk_marker_encode(enum vmdk_marker_type type, uint64_t num_sectors, uint8_t out[VMDK_SECTOR])
{
	memset(out, 0, VMDK_SECTOR);
	put_u64(out + 0, num_sectors);
	put_u32(out + 8, 0);                        /* size 0 = metadata marker */
	put_u32(out + 12, (uint32_t)type);
}

void vmdk_grain_marker_encode(uint64_t lba, uint32_t size, uint8_t out[VMDK_GRAIN_MARKER_HDR])
{
	put_u64(out, lba);
	put_u32(out + 8, size);
}

static const char *const adapters[] = {
	"ide", "buslogic", "lsilogic", "legacyESX", "lsilogicsas", "pvscsi", NULL,
};

int vmdk_adapter_check(const char *adapter)
{
	for (const char *const *a = adapters; *a; a++)
		if (!strcmp(adapter, *a))
			return 0;
	return -EINVAL;
}

char *vmdk_descriptor_render(uint64_t capacity, const char *adapter, const char *extent_name,
			     uint32_t cid, const uint8_t long_cid[16])
{
	/* IDE disks use 16 heads, SCSI 255; cylinders saturate at 65535. */
	unsigned heads = strcmp(adapter, "ide") == 0 ? 16 : 255, sectors = 63;
	uint64_t cyl = (capacity + (uint64_t)heads * sectors - 1) / ((uint64_t)heads * sectors);
	if (cyl > 65535)
		cyl = 65535;

	struct buf b;
	buf_init(&b);
	buf_printf(&b, "# Disk DescriptorFile\n"
		       "version=1\n"
		       "encoding=\"UTF-8\"\n"
		       "CID=%08x\n"
		       "parentCID=ffffffff\n"
		       "createType=\"streamOptimized\"\n"
		       "\n"
		       "# Extent description\n"
		       "RW %llu SPARSE \"",
		   (unsigned)cid, (unsigned long long)capacity);
	for (const char *p = extent_name; *p; p++) {
		unsigned char c = (unsigned char)*p;
		buf_putc(&b, c < 0x20 || c > 0x7e || c == '"' || c == '\\' ? '_' : (char)c);
	}
	buf_puts(&b, "\"\n"
		     "\n"
		     "# The Disk Data Base\n"
		     "#DDB\n"
		     "\n"
		     "ddb.longContentID = \"");
	for (int i = 0; i < 16; i++)
		buf_printf(&b, "%02x", long_cid[i]);
	buf_printf(&b, "\"\n"
		       "ddb.virtualHWVersion = \"4\"\n"
		       "ddb.geometry.cylinders = \"%llu\"\n"
		       "ddb.geometry.heads = \"%u\"\n"
		       "ddb.geometry.sectors = \"%u\"\n"
		       "ddb.adapterType = \"%s\"\n"
		       "ddb.toolsInstallType = \"4\"\n"
		       "ddb.toolsVersion = \"2147483647\"\n",
		   (unsigned long long)cyl, heads, sectors, adapter);
	return buf_steal(&b);
}
