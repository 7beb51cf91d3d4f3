/* esxi/ovf, esxi/ova, ec2/ec2_kit: guest ids by hardware version, the
 * descriptor's refusals and escaping (parsed back with libxml2), the tar
 * format choice, the EC2 JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ec2/ec2_kit.h"
#include "esxi/ova.h"
#include "esxi/ovf.h"

static void test_guest_os(void **state)
{
	(void)state;
	static const struct { unsigned hw; const char *type, *ver; } cases[] = {
		{ 11, "debian8_64Guest", "8" },   { 13, "debian9_64Guest", "9" },   { 14, "debian10_64Guest", "10" },
		{ 15, "debian10_64Guest", "10" }, { 17, "debian11_64Guest", "11" }, { 19, "debian11_64Guest", "11" },
		{ 20, "debian12_64Guest", "12" }, { 21, "debian12_64Guest", "12" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *t, *v;
		ovf_guest_os(cases[i].hw, &t, &v);
		assert_string_equal(t, cases[i].type);
		assert_string_equal(v, cases[i].ver);
	}
}

static const char *const nets[] = { "VM Network", "Back <end> & \"db\"" };
static const char *const over[] = { "hostname", "dns" };

static struct ovf_disk disks[2] = {
	{ "a-app-disk1.vmdk", 12345, 10737418240ull, 4096 },
	{ "a-app-disk2.vmdk", 512, 53687091200ull, 0 },
};

static struct ovf_params good(void)
{
	return (struct ovf_params){
		.name = "a-app", .product = "kiln a app", .version = "0.1.0", .annotation = "x & y",
		.hardware_version = 14, .disk_controller = "pvscsi", .vcpus = 4, .memory_mib = 8192,
		.networks = nets, .n_networks = 2, .disks = disks, .n_disks = 2, .overridable = over, .n_overridable = 2,
	};
}

static char *xpath_str(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr c = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(c, BAD_CAST "o", BAD_CAST "http://schemas.dmtf.org/ovf/envelope/1");
	xmlXPathRegisterNs(c, BAD_CAST "r",
			   BAD_CAST "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData");
	xmlXPathRegisterNs(c, BAD_CAST "v", BAD_CAST "http://www.vmware.com/schema/ovf");
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, c);
	assert_non_null(o);
	char *s = (char *)xmlXPathCastToString(o);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(c);
	return s;
}

static void expect(xmlDocPtr doc, const char *expr, const char *want)
{
	char *s = xpath_str(doc, expr);
	if (strcmp(s, want))
		fail_msg("%s = '%s', want '%s'", expr, s, want);
	xmlFree(s);
}

static void test_descriptor_parses(void **state)
{
	(void)state;
	struct ovf_params p = good();
	struct buf b;
	buf_init(&b);
	assert_int_equal(ovf_build(&p, &b), 0);
	xmlDocPtr doc = xmlReadMemory(b.data, (int)b.len, "x.ovf", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	expect(doc, "string(/o:Envelope/o:References/o:File[2]/@o:size)", "512");
	expect(doc, "string(/o:Envelope/o:DiskSection/o:Disk[1]/@o:capacity)", "10737418240");
	expect(doc, "string(/o:Envelope/o:DiskSection/o:Disk[1]/@o:populatedSize)", "4096");
	expect(doc, "count(/o:Envelope/o:DiskSection/o:Disk[2]/@o:populatedSize)", "0");
	expect(doc, "string(/o:Envelope/o:NetworkSection/o:Network[2]/@o:name)", "Back <end> & \"db\"");
	expect(doc, "string(//o:Item[r:ResourceType='10'][2]/r:Connection)", "Back <end> & \"db\"");
	expect(doc, "count(//o:Item[r:ResourceType='10'][r:ResourceSubType='VmxNet3'])", "2");
	expect(doc, "string(//o:Item[r:ResourceType='3']/r:VirtualQuantity)", "4");
	expect(doc, "string(//o:Item[r:ResourceType='4']/r:VirtualQuantity)", "8192");
	expect(doc, "string(//o:Item[r:ResourceType='6']/r:ResourceSubType)", "VirtualSCSI");
	/* disks on the SCSI controller, units 0 and 1; CD-ROM on IDE */
	expect(doc, "string(//o:Item[r:HostResource='ovf:/disk/vmdisk2']/r:AddressOnParent)", "1");
	expect(doc, "count(//o:Item[r:ResourceType='17'][r:Parent=//o:Item[r:ResourceType='6']/r:InstanceID])", "2");
	expect(doc, "count(//o:Item[r:ResourceType='15'][r:Parent=//o:Item[r:ResourceType='5']/r:InstanceID])", "1");
	expect(doc, "string(//o:VirtualHardwareSection/@o:transport)", "iso com.vmware.guestInfo");
	expect(doc, "string(//o:VirtualHardwareSection/v:Config[@v:key='firmware']/@v:value)", "efi");
	expect(doc, "count(//v:Config[@v:key='uefi.secureBoot.enabled'])", "0");
	expect(doc, "string(//o:OperatingSystemSection/@v:osType)", "debian10_64Guest");
	expect(doc, "string(//o:ProductSection/@o:class)", "kiln");
	expect(doc, "string(//o:Property[@o:key='seed']/@o:password)", "true");
	expect(doc, "string(//o:Property[@o:key='seed']/@o:userConfigurable)", "true");
	expect(doc, "count(//o:Property)", "3");
	expect(doc, "count(//o:Property[@o:key='dns' or @o:key='hostname'][not(@o:password)])", "2");
	expect(doc, "string(//o:AnnotationSection/o:Annotation)", "x & y");
	/* every InstanceID unique */
	expect(doc, "count(//o:Item[r:InstanceID = preceding::o:Item/r:InstanceID])", "0");
	xmlFreeDoc(doc);
	buf_free(&b);
}

static void test_lsilogic_and_eight_disks(void **state)
{
	(void)state;
	struct ovf_disk many[9];
	for (int i = 0; i < 9; i++)
		many[i] = (struct ovf_disk){ "d.vmdk", 1, 1024, 0 };
	struct ovf_params p = good();
	p.disk_controller = "lsilogic";
	p.disks = many;
	p.n_disks = 9;
	p.annotation = NULL;
	struct buf b;
	buf_init(&b);
	assert_int_equal(ovf_build(&p, &b), 0);
	xmlDocPtr doc = xmlReadMemory(b.data, (int)b.len, "x.ovf", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	expect(doc, "string(//o:Item[r:ResourceType='6']/r:ResourceSubType)", "lsilogic");
	expect(doc, "string(//o:Item[r:HostResource='ovf:/disk/vmdisk7']/r:AddressOnParent)", "6");
	/* SCSI unit 7 is the controller's own */
	expect(doc, "string(//o:Item[r:HostResource='ovf:/disk/vmdisk8']/r:AddressOnParent)", "8");
	expect(doc, "count(//o:AnnotationSection)", "0");
	xmlFreeDoc(doc);
	buf_free(&b);
}

/* esxi.firmware and esxi.secure_boot: the vmx keys vSphere reads. */
static void test_firmware(void **state)
{
	(void)state;
	struct ovf_params p = good();
	p.secure_boot = true;
	struct buf b;
	buf_init(&b);
	assert_int_equal(ovf_build(&p, &b), 0);
	xmlDocPtr doc = xmlReadMemory(b.data, (int)b.len, "x.ovf", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	expect(doc, "string(//o:VirtualHardwareSection/v:Config[@v:key='firmware']/@v:value)", "efi");
	expect(doc, "string(//o:VirtualHardwareSection/v:Config[@v:key='uefi.secureBoot.enabled']/@v:value)", "true");
	xmlFreeDoc(doc);
	buf_free(&b);
	p = good();
	p.firmware = "bios";
	assert_int_equal(ovf_build(&p, &b), 0);
	doc = xmlReadMemory(b.data, (int)b.len, "x.ovf", NULL, XML_PARSE_NONET);
	assert_non_null(doc);
	expect(doc, "string(//o:VirtualHardwareSection/v:Config[@v:key='firmware']/@v:value)", "bios");
	expect(doc, "count(//v:Config[@v:key='uefi.secureBoot.enabled'])", "0");
	xmlFreeDoc(doc);
	buf_free(&b);
}

static void test_refusals(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	struct ovf_params p;
#define REFUSE(stmt)                                         \
	do {                                                 \
		p = good();                                  \
		stmt;                                        \
		assert_int_equal(ovf_build(&p, &b), -EINVAL); \
	} while (0)
	REFUSE(p.hardware_version = 16);
	REFUSE(p.hardware_version = 0);
	REFUSE(p.disk_controller = "nvme");
	REFUSE(p.disk_controller = NULL);
	REFUSE(p.firmware = "uefi");
	REFUSE(p.firmware = "bios"; p.secure_boot = true);
	REFUSE(p.hardware_version = 11; p.secure_boot = true);
	REFUSE(p.n_disks = 0);
	REFUSE(p.n_networks = 0);
	REFUSE(p.vcpus = 0);
	REFUSE(p.name = "caf\xc3\xa9");
	REFUSE(p.product = "line\nbreak");
	REFUSE(p.name = "");
	static const char *const bad_over[] = { "password" };
	REFUSE((p.overridable = bad_over, p.n_overridable = 1));
	static struct ovf_disk odd[1] = { { "x.vmdk", 1, 1000, 0 } };
	REFUSE((p.disks = odd, p.n_disks = 1));
	static struct ovf_disk slash[1] = { { "../x.vmdk", 1, 1024, 0 } };
	REFUSE((p.disks = slash, p.n_disks = 1));
	static const char *const bad_net[] = { "tab\there" };
	REFUSE((p.networks = bad_net, p.n_networks = 1));
#undef REFUSE
	assert_int_equal(b.len, 0);   /* nothing written on refusal */
	assert_int_equal(ovf_controller_check("pvscsi"), 0);
	assert_int_equal(ovf_controller_check("lsilogicsas"), 0);
	assert_int_equal(ovf_controller_check("buslogic"), -EINVAL);
	buf_free(&b);
}

static void test_tar_format_choice(void **state)
{
	(void)state;
	assert_false(ova_needs_gnu_tar(0));
	assert_false(ova_needs_gnu_tar(UINT64_C(8589934591)));   /* 8 GiB - 1: 77777777777 octal */
	assert_true(ova_needs_gnu_tar(UINT64_C(8589934592)));
	enum ova_digest d;
	assert_int_equal(ova_digest_parse("sha1", &d), 0);
	assert_int_equal(d, OVA_DIGEST_SHA1);
	assert_string_equal(ova_digest_label(d), "SHA1");
	assert_int_equal(ova_digest_parse("sha256", &d), 0);
	assert_string_equal(ova_digest_label(d), "SHA256");
	assert_int_equal(ova_digest_parse("SHA256", &d), -EINVAL);
	assert_int_equal(ova_digest_parse("md5", &d), -EINVAL);
}

static void test_ec2_json(void **state)
{
	(void)state;
	struct ec2_kit k = { "acme", "mysql", "0.1.0", "acme-mysql.vmdk", 10, 50 };
	struct buf b;
	buf_init(&b);
	assert_int_equal(ec2_register_json(&k, &b), 0);
	assert_non_null(strstr(b.data, "\"BootMode\": \"uefi-preferred\""));
	assert_non_null(strstr(b.data, "\"ImdsSupport\": \"v2.0\""));
	assert_non_null(strstr(b.data, "\"EnaSupport\": true"));
	assert_non_null(strstr(b.data, "\"DeviceName\": \"/dev/sdf\""));
	assert_non_null(strstr(b.data, "\"Name\": \"kiln-acme-mysql-0.1.0\""));
	b.len = 0;
	k.data_gib = 0;
	assert_int_equal(ec2_register_json(&k, &b), 0);
	assert_null(strstr(b.data, "/dev/sdf"));
	b.len = 0;
	assert_int_equal(ec2_import_json(&k, &b), 0);
	assert_non_null(strstr(b.data, "\"S3Key\": \"acme-mysql.vmdk\""));
	size_t before = b.len;
	k.vmdk_name = "a\"b.vmdk";
	assert_int_equal(ec2_import_json(&k, &b), -EINVAL);
	k.vmdk_name = "acme-mysql.vmdk";
	k.root_gib = 0;
	assert_int_equal(ec2_register_json(&k, &b), -EINVAL);
	assert_int_equal(b.len, before);

	struct ec2_host h[2] = { { "db1", "mysql", "10.0.0.5", 2, 4096 }, { "big", "mysql", NULL, 128, 1 << 20 } };
	struct ec2_kit kit = { "acme", "mysql", "0.1.0", "acme-mysql.vmdk", 10, 0 };
	b.len = 0;
	ec2_readme("acme", &kit, 1, h, 2, &b);
	assert_non_null(strstr(b.data, "--instance-type t3.medium"));
	assert_non_null(strstr(b.data, "--private-ip-address 10.0.0.5"));
	assert_non_null(strstr(b.data, "--user-data file://db1.seed"));
	assert_non_null(strstr(b.data, "--instance-type INSTANCE_TYPE"));
	assert_non_null(strstr(b.data, "HttpTokens=required"));
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_os),
		cmocka_unit_test(test_descriptor_parses),
		cmocka_unit_test(test_lsilogic_and_eight_disks),
		cmocka_unit_test(test_firmware),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_tar_format_choice),
		cmocka_unit_test(test_ec2_json),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return r;
}
