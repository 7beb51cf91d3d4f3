/* profiles/: the strict loader (each rejection with its line:column), the
 * examples, env templates, IPv4 helpers, endpoint matching and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/buf.h"
#include "lib/xalloc.h"
#include "profiles/env_template.h"
#include "profiles/model.h"
#include "profiles/profile.h"
#include "tests/unit/profile_rejects.h"

#define BASE PROFILE_BASE
#define APP_HOST "  - {name: app1, role: app, subnet: a, address: 10.0.0.20}\n"
#define H2 "  - name: h2\n    role: minio\n    subnet: a\n    address: 10.0.0.11\n    ethernets:\n      eth0:\n        addresses: [10.0.0.11/24]\n"
#define APP_ROLE "roles:\n  app:\n    service: {type: systemd, exec: /bin/true, port: 8000}\n    env:\n"

static const struct reject rejects[] = {
	{ "malformed yaml", BASE "flows: [ {from: {role: app}\n", 8, 1, "malformed YAML" },
	{ "unknown key", BASE "  - {name: h2, role: minio, subnet: a, adress: 10.0.0.11}\n", 7, 40,
	  "unknown key 'adress' in a host (expected one of: name, role, subnet, address," },
	{ "unknown key suggestion", BASE "  - {name: h2, role: minio, subnet: a, adress: 10.0.0.11}\n", 7, 40,
	  "replica_of, ethernets, install); did you mean 'address'?" },
	{ "unknown top-level key", BASE "firewall: {}\n", 7, 1, "unknown key 'firewall' in the profile" },
	{ "wrong type: list", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets: {name: a}\nhosts: []\n", 3, 10,
	  "subnets must be a list, not a mapping" },
	{ "wrong type: int", BASE "flows:\n  - {from: {host: h1}, to: {host: h1}, port: \"3306\"}\n", 8, 46,
	  "'port' must be an integer, not '3306' (quoted)" },
	{ "wrong type: bool", BASE "roles:\n  mysql: {tls: yes}\n", 8, 16, "'tls' must be true or false, not 'yes'" },
	{ "wrong type: string", BASE "debian: {suite: [bookworm]}\n", 7, 17, "'suite' must be a string, not a list" },
	{ "wrong type: mapping", BASE "dns: [10.0.0.2]\n", 7, 6, "dns must be a mapping, not a list" },
	{ "cidr syntax", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0/24}\n"
	  "hosts:\n  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}\n", 4, 21, "bad CIDR '10.0.0/24' (expected a.b.c.d/prefix" },
	{ "cidr prefix > 32", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/33}\n"
	  "hosts:\n  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}\n", 4, 21, "prefix length is larger than 32" },
	{ "cidr host bits", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.5/24}\n"
	  "hosts:\n  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}\n", 4, 21,
	  "host bits are set (did you mean 10.0.0.0/24?)" },
	{ "bad ip", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.256}\n", 7, 49, "bad address '10.0.0.256'" },
	{ "bad ip (leading zero)", BASE "dns: {servers: [10.0.0.02]}\n", 7, 17, "bad IPv4 address '10.0.0.02'" },
	{ "address outside subnet", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.1.5}\n", 7, 49,
	  "address 10.0.1.5 is outside subnet 'a' (10.0.0.0/24)" },
	{ "address = network", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.0}\n", 7, 49,
	  "network or broadcast address of subnet 'a'" },
	{ "address = broadcast", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.255}\n", 7, 49,
	  "network or broadcast address of subnet 'a'" },
	{ "address = gateway", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.1}\n", 7, 49,
	  "address 10.0.0.1 is the gateway of subnet 'a'" },
	{ "duplicate address", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.10}\n", 7, 49,
	  "duplicate address 10.0.0.10 (already used by host 'h1' at line 6)" },
	{ "duplicate host name", BASE "  - {name: h1, role: minio, subnet: a, address: 10.0.0.11}\n", 7, 12,
	  "duplicate host name 'h1' (first defined at line 6)" },
	{ "duplicate subnet name", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24}\n"
	  "  - {name: a, cidr: 10.0.1.0/24}\nhosts:\n  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}\n", 5, 12,
	  "duplicate subnet name 'a' (first defined at line 4)" },
	{ "overlapping subnets", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/16}\n"
	  "  - {name: b, cidr: 10.0.5.0/24}\nhosts:\n  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}\n", 5, 21,
	  "subnet 10.0.5.0/24 overlaps subnet 'a' (10.0.0.0/16, line 4)" },
	{ "gateway outside subnet", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n"
	  "  - {name: a, cidr: 10.0.0.0/24, gateway: 10.0.1.1}\nhosts:\n  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}\n",
	  4, 43, "gateway 10.0.1.1 is outside subnet 10.0.0.0/24" },
	{ "host names missing subnet", BASE "  - {name: h2, role: minio, subnet: zz, address: 10.0.0.11}\n", 7, 37,
	  "names subnet 'zz', which is not defined" },
	{ "flow: missing host", BASE "flows:\n  - {from: {host: web9}, to: {host: h1}, port: 3306}\n", 8, 19,
	  "flow 'from' names host 'web9', which is not defined" },
	{ "flow: missing to host", BASE "flows:\n  - {from: {host: h1}, to: {host: web9}, port: 3306}\n", 8, 35,
	  "flow 'to' names host 'web9'" },
	{ "flow: role without hosts", BASE "flows:\n  - {from: {role: app}, to: {host: h1}, port: 3306}\n", 8, 19,
	  "names role 'app', but no host has that role" },
	{ "flow: missing subnet", BASE "flows:\n  - {from: {subnet: dmz}, to: {host: h1}, port: 3306}\n", 8, 21,
	  "names subnet 'dmz', which is not defined" },
	{ "flow: to a subnet", BASE "flows:\n  - {from: {host: h1}, to: {subnet: a}, port: 3306}\n", 8, 29,
	  "unknown key 'subnet' in flow 'to' (expected one of: host, role)" },
	{ "flow: two selectors", BASE "flows:\n  - {from: {host: h1, role: mysql}, to: {host: h1}, port: 1}\n", 8, 12,
	  "flow 'from' must have exactly one of" },
	{ "flow: bad proto", BASE "flows:\n  - {from: {host: h1}, to: {host: h1}, port: 1, proto: icmp}\n", 8, 56,
	  "unknown proto 'icmp' (expected tcp or udp)" },
	{ "port > 65535", BASE "flows:\n  - {from: {subnet: a}, to: {host: h1}, port: 70000}\n", 8, 47,
	  "'port' is 70000, out of range (expected 1..65535)" },
	{ "port 0", BASE "flows:\n  - {from: {subnet: a}, to: {host: h1}, port: 0}\n", 8, 47, "out of range (expected 1..65535)" },
	{ "unknown role", BASE "  - {name: h2, role: redis, subnet: a, address: 10.0.0.11}\n", 7, 22,
	  "unknown role 'redis' (expected app, mysql, minio or lb)" },
	{ "unknown size preset", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.11, size: huge}\n", 7, 66,
	  "unknown size preset 'huge'" },
	{ "new size preset incomplete", BASE "sizes:\n  tiny: {vcpus: 1}\n", 8, 9, "missing required key 'memory_mib'" },
	{ "replica_of missing host", BASE "  - {name: h2, role: mysql, subnet: a, address: 10.0.0.11, replica_of: db9}\n", 7, 72,
	  "replica_of names host 'db9', which is not defined" },
	{ "replica_of non-mysql", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.11}\n"
	  "  - {name: h3, role: mysql, subnet: a, address: 10.0.0.12, replica_of: h2}\n", 8, 72,
	  "replica_of names host 'h2', which has role minio" },
	{ "replica_of on a minio host", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.11, replica_of: h1}\n", 7, 72,
	  "replica_of is only for mysql hosts" },
	{ "template: unknown peer", BASE APP_HOST APP_ROLE "      DB: \"db=${host.db9}\"\n", 12, 15,
	  "${host.db9} names no host" },
	{ "template: unknown secret", BASE APP_HOST APP_ROLE "      KEY: \"${secret.api_token}\"\n", 12, 13,
	  "no secret 'api_token'" },
	{ "template: unknown reference", BASE APP_HOST APP_ROLE "      X: ${env.HOME}\n", 12, 10,
	  "unknown template reference ${env.HOME}" },
	{ "template: role with no host", BASE APP_HOST APP_ROLE "      S3: \"${role.minio}\"\n", 12, 12,
	  "${role.minio}: no host has role minio" },
	{ "template column: single quotes", BASE APP_HOST APP_ROLE "      A: 'it''s ${host.nope}'\n", 12, 17,
	  "${host.nope} names no host" },
	{ "template column: UTF-8 and escapes", BASE APP_HOST APP_ROLE "      B: \"\xc3\xa9\\x41${role.nope}\"\n", 12, 16,
	  "unknown role 'nope'" },
	{ "template: unterminated", BASE APP_HOST APP_ROLE "      X: \"a${host.h1\"\n", 12, 12, "unterminated ${" },
	/* Found by fuzz_profile: the error pointed into the first X's (shorter) value. */
	{ "template: bad value under a duplicate key", BASE APP_HOST APP_ROLE "      X:\n      X: \"db=${host.h9=\"\n", 13, 14,
	  "unterminated ${" },
	{ "bucket name", BASE "roles:\n  minio:\n    buckets:\n      - name: My_Bucket\n", 10, 15,
	  "bucket name 'My_Bucket' must be a valid S3 bucket name" },
	{ "bucket name as IP", BASE "roles:\n  minio:\n    buckets:\n      - name: 192.168.1.1\n", 10, 15,
	  "not formatted as an IP address" },
	{ "host name not RFC 1123", BASE "  - {name: -db2, role: minio, subnet: a, address: 10.0.0.11}\n", 7, 12,
	  "may not begin or end with '-'" },
	{ "host name upper case", BASE "  - {name: DB2, role: minio, subnet: a, address: 10.0.0.11}\n", 7, 12,
	  "host name 'DB2' must be an RFC 1123 host name label" },
	{ "deployment name", "kiln: 1\ndeployment: {name: Acme_Prod, domain: t.lan}\nsubnets: []\nhosts: []\n", 2, 20,
	  "deployment name 'Acme_Prod' must be 1 to 32 characters from [a-z0-9-]" },
	{ "subnet name", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: Data, cidr: 10.0.0.0/24}\nhosts: []\n",
	  4, 12, "subnet name 'Data' must be" },
	{ "alias", BASE "dns: {servers: *x}\n", 7, 16, "aliases are not allowed" },
	{ "anchor", BASE "dns: &x {servers: [10.0.0.2]}\n", 7, 6, "anchors are not allowed" },
	{ "billion laughs", "kiln: 1\na: &a [lol, lol]\nb: [*a, *a]\n", 2, 4, "billion laughs" },
	{ "more than one document", BASE "---\nkiln: 1\n", 7, 1, "more than one YAML document" },
	{ "duplicate key", BASE "dns: {servers: [10.0.0.2]}\ndns: {servers: [10.0.0.3]}\n", 8, 1,
	  "duplicate key 'dns' (first given at line 7, column 1)" },
	{ "duplicate nested key", BASE "  - {name: h2, name: h3, role: minio, subnet: a, address: 10.0.0.11}\n", 7, 16,
	  "duplicate key 'name'" },
	{ "missing schema version", "deployment: {name: t, domain: t.lan}\nsubnets: []\nhosts: []\n", 1, 1, "missing 'kiln: 1'" },
	{ "wrong schema version", "kiln: 2\ndeployment: {name: t, domain: t.lan}\nsubnets: []\nhosts: []\n", 1, 7,
	  "unsupported profile schema version 2" },
	{ "missing host address", BASE "  - {name: h2, role: minio, subnet: a}\n", 7, 5, "missing required key 'address'" },
	{ "ethernets: unknown netplan key", BASE "  - name: h2\n    role: minio\n    subnet: a\n    address: 10.0.0.11\n"
	  "    ethernets:\n      eth0:\n        addresses: [10.0.0.11/24]\n        gateway4: 10.0.0.1\n", 14, 9,
	  "unknown key 'gateway4' in an ethernets entry" },
	{ "ethernets: bad mac", BASE "  - name: h2\n    role: minio\n    subnet: a\n    address: 10.0.0.11\n"
	  "    ethernets:\n      eth0:\n        addresses: [10.0.0.11/24]\n        macaddress: 00:11:22\n", 14, 21,
	  "bad MAC address '00:11:22'" },
	{ "ethernets: host address not configured", BASE "  - name: h2\n    role: minio\n    subnet: a\n    address: 10.0.0.11\n"
	  "    ethernets:\n      eth0:\n        addresses: [10.0.0.12/24]\n", 12, 7,
	  "has address 10.0.0.11 but no interface under ethernets lists it" },
	{ "ethernets: bad route", BASE "  - name: h2\n    role: minio\n    subnet: a\n    address: 10.0.0.11\n"
	  "    ethernets:\n      eth0:\n        addresses: [10.0.0.11/24]\n        routes: [{to: 10.9.0.1/16, via: 10.0.0.1}]\n",
	  14, 23, "host bits are set" },
	{ "ethernets: mtu range", BASE "  - name: h2\n    role: minio\n    subnet: a\n    address: 10.0.0.11\n"
	  "    ethernets:\n      eth0:\n        addresses: [10.0.0.11/24]\n        mtu: 100000\n", 14, 14,
	  "'mtu' is 100000, out of range" },
	{ "ethernets: bad search domain", BASE "  - name: h2\n    role: minio\n    subnet: a\n    address: 10.0.0.11\n"
	  "    ethernets:\n      eth0:\n        addresses: [10.0.0.11/24]\n        nameservers: {search: [Bad_Domain]}\n", 14, 32,
	  "search domain 'Bad_Domain' must be a DNS domain" },
	{ "unknown target", BASE "targets: [raw, vbox]\n", 7, 16, "unknown target 'vbox'" },
	{ "app host without service", BASE APP_HOST, 1, 1, "has role app but roles.app.service is missing" },
	{ "container without image", BASE APP_HOST "roles:\n  app:\n    service: {type: container, port: 80}\n", 10, 14,
	  "a container service needs 'image'" },
	{ "ssh allow_from unknown subnet", BASE "ssh: {allow_from: [admin]}\n", 7, 20, "names subnet 'admin', which is not defined" },
	{ "ssh key not a key", BASE "ssh: {authorized_keys: [hunter2]}\n", 7, 25, "authorized_keys entry 1 must be one public key line" },
	{ "app secret shadows built-in", BASE APP_HOST "roles:\n  app:\n    service: {type: systemd, exec: /x}\n"
	  "    secrets: [tls_key]\n", 11, 15, "secret 'tls_key' is built in" },
	{ "esxi unknown overridable", BASE "esxi: {overridable: [hostname, password]}\n", 7, 32,
	  "unknown overridable property 'password'" },
	{ "tag", BASE "dns: !!map {servers: [10.0.0.2]}\n", 7, 6, "YAML tags are not allowed" },
	{ "empty profile", "", 1, 1, "empty profile" },
	{ "not a mapping", "- a\n- b\n", 1, 1, "the profile must be a mapping, not a list" },
	{ "complex key", BASE "? [a, b]\n: 1\n", 7, 3, "mapping keys must be plain strings" },
	{ "nesting too deep", BASE "esxi: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n", 7, 70,
	  "nesting too deep: a profile needs at most a few levels" },
	{ "NUL in value", BASE "dns: {search: [\"a\\0b\"]}\n", 7, 16,
	  "NUL character in a value" },
	{ "bad mirror", BASE "debian: {mirror: ftp.debian.org}\n", 7, 18,
	  "mirror 'ftp.debian.org' must be an http://, https:// or file" },
	{ "bad suite", BASE "debian: {suite: bullseye}\n", 7, 17,
	  "unsupported Debian suite 'bullseye' (supported: bookworm, trixie)" },
	{ "bad hardware_version", BASE "esxi: {hardware_version: vmx-99}\n", 7, 26,
	  "hardware_version 'vmx-99' is not supported (expected vmx-11, " },
	{ "bad disk_controller", BASE "esxi: {disk_controller: ide}\n", 7, 25,
	  "unknown disk_controller 'ide' (expected pvscsi or lsilogic)" },
	{ "bad firmware", BASE "esxi: {firmware: uefi}\n", 7, 18,
	  "unknown firmware 'uefi' (expected efi or bios)" },
	{ "secure_boot not a bool", BASE "esxi: {secure_boot: maybe}\n", 7, 21, "must be true or false" },
	{ "secure_boot with bios", BASE "esxi: {firmware: bios, secure_boot: true}\n", 7, 37,
	  "secure_boot needs firmware: efi (BIOS has no Secure Boot)" },
	{ "secure_boot on vmx-11", BASE "esxi: {hardware_version: vmx-11, secure_boot: true}\n", 7, 47,
	  "secure_boot needs hardware_version vmx-13 or later (this profile has vmx-11)" },
	{ "tls cert without key", BASE APP_HOST "roles:\n  app:\n    service: {exec: /x}\n    tls: {cert: /c.pem}\n", 11, 10,
	  "roles.app.tls needs both 'cert' and 'key' (or neither, for a" },
	{ "bad env name", BASE APP_HOST "roles:\n  app:\n    service: {exec: /x}\n    env:\n      1BAD: x\n", 12, 7,
	  "environment variable '1BAD' must be an environment variable " },
	{ "env value not scalar", BASE APP_HOST "roles:\n  app:\n    service: {exec: /x}\n    env:\n      A: [x]\n", 12, 10,
	  "environment value for 'A' must be a string, not a list" },
	{ "bad mysql database", BASE "roles:\n  mysql: {database: my-db}\n", 8, 21,
	  "database name 'my-db' must be 1 to 64 characters from [A-Za-" },
	{ "bad mysql user", BASE "roles:\n  mysql: {user: \"a b\"}\n", 8, 17,
	  "user name 'a b' must be 1 to 32 characters from [A-Za-z0-9_]" },
	{ "bad my.cnf option", BASE "roles:\n  mysql:\n    settings: {\"Max Conn\": 5}\n", 9, 16,
	  "my.cnf option name 'Max Conn' must be a my.cnf option name: a" },
	{ "duplicate bucket", BASE "roles:\n  minio:\n    buckets: [{name: abc}, {name: abc}]\n", 9, 35,
	  "duplicate bucket 'abc'" },
	{ "duplicate app secret", BASE APP_HOST "roles:\n  app:\n    service: {exec: /x}\n    secrets: [k1, k1]\n", 11, 19,
	  "duplicate secret 'k1'" },
	{ "bad app secret name", BASE APP_HOST "roles:\n  app:\n    service: {exec: /x}\n    secrets: [Key]\n", 11, 15,
	  "secret name 'Key' must start with a lower-case letter, then " },
	{ "gateway is network address", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets:\n  - {name: a, cidr: 10.0.0.0/24, gateway: 10.0.0.0}\nhosts:\n  - {name: h1, role: mysql, subnet: a, address: 10.0.0.10}\n", 4, 43,
	  "gateway 10.0.0.0 is the network or broadcast address of 10.0" },
	{ "systemd with image", BASE APP_HOST "roles:\n  app:\n    service: {exec: /x, image: nginx}\n", 10, 32,
	  "'image' is for type: container (this service is systemd)" },
	{ "systemd without exec", BASE APP_HOST "roles:\n  app:\n    service: {port: 80}\n", 10, 14,
	  "a systemd service needs 'exec' (the command line to run)" },
	{ "unknown service type", BASE APP_HOST "roles:\n  app:\n    service: {type: docker, image: x}\n", 10, 21,
	  "unknown service type 'docker' (expected systemd or container" },
	{ "set-name without match", BASE H2 "        set-name: lan0\n", 14, 19,
	  "set-name needs a match: block (netplan renames only matched " },
	{ "allow_from not scalar", BASE "ssh: {allow_from: [{subnet: a}]}\n", 7, 20,
	  "ssh.allow_from entries must be subnet names or CIDRs, not a " },
	{ "allow_from bad cidr", BASE "ssh: {allow_from: [10.0.0.0/8x]}\n", 7, 20,
	  "bad CIDR '10.0.0.0/8x' (expected a.b.c.d/prefix, e.g. 10.0.1" },
	{ "targets empty", BASE "targets: []\n", 7, 10,
	  "'targets' is empty (expected some of raw, esxi, ec2, iso)" },
	{ "hosts empty", "kiln: 1\ndeployment: {name: t, domain: t.lan}\nsubnets: []\nhosts: []\n", 4, 8,
	  "'hosts' is empty (a deployment needs at least one host)" },
	{ "host not a mapping", BASE "  - h2\n", 7, 5,
	  "a host must be a mapping, not a scalar" },
	{ "sizes not a mapping", BASE "sizes: [small]\n", 7, 8,
	  "'sizes' must be a mapping of preset name -> {vcpus, memory_m" },
	{ "bad size preset name", BASE "sizes:\n  Big: {vcpus: 1, memory_mib: 1024, os_disk_gib: 8}\n", 8, 3,
	  "size preset name 'Big' must be 1 to 32 characters from [a-z0" },
	{ "vcpus out of range", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.11, vcpus: 0}\n", 7, 67,
	  "'vcpus' is 0, out of range (expected 1..128)" },
	{ "memory too small", BASE "sizes:\n  medium: {memory_mib: 64}\n", 8, 24,
	  "'memory_mib' is 64, out of range (expected 512..4194304)" },
	{ "bad ntp server", BASE "ntp: {servers: [\"ntp server\"]}\n", 7, 17,
	  "NTP server 'ntp server' is neither an IPv4 address nor a DNS" },
	{ "replica of itself", BASE "  - {name: h2, role: mysql, subnet: a, address: 10.0.0.11, replica_of: h2}\n", 7, 72,
	  "host 'h2' cannot be a replica of itself" },
	{ "replica of a replica", BASE "  - {name: h2, role: mysql, subnet: a, address: 10.0.0.11, replica_of: h1}\n  - {name: h3, role: mysql, subnet: a, address: 10.0.0.12, replica_of: h2}\n", 8, 72,
	  "replica_of names 'h2', which is itself a replica (name the p" },
	{ "address 0.0.0.0", BASE "  - {name: h2, role: minio, subnet: a, address: 0.0.0.0}\n", 7, 49,
	  "bad address '0.0.0.0' (0.0.0.0 is not a host address)" },
	{ "address not scalar", BASE "  - {name: h2, role: minio, subnet: a, address: [10.0.0.11]}\n", 7, 49,
	  "'address' must be an IPv4 address or dhcp, not a list" },
	{ "dhcp host without dhcp4", BASE "  - name: h2\n    role: minio\n    subnet: a\n    address: dhcp\n    ethernets:\n      eth0: {optional: true}\n", 12, 7,
	  "host 'h2' uses dhcp but no interface under ethernets has dhc" },
	{ "ethernets not a mapping", BASE "  - {name: h2, role: minio, subnet: a, address: 10.0.0.11, ethernets: [eth0]}\n", 7, 71,
	  "'ethernets' must be a mapping of interface id -> settings (n" },
	{ "route via bad", BASE H2 "        routes: [{to: default, via: 10.0.0}]\n", 14, 37,
	  "bad IPv4 address '10.0.0' for 'via' (expected four decimal o" },
	{ "route without via", BASE H2 "        routes: [{to: default}]\n", 14, 18,
	  "route: missing required key 'via'" },
	{ "bad interface address", BASE H2 "        nameservers: {addresses: [10.0.0.2]}\n      eth1:\n        addresses: [10.0.0.300/24]\n", 16, 21,
	  "bad interface address '10.0.0.300/24' (expected a.b.c.d/pref" },
	{ "bad domain", "kiln: 1\ndeployment: {name: t, domain: -bad.lan}\nsubnets: []\nhosts: []\n", 2, 31,
	  "domain '-bad.lan' must be a DNS domain: a label may not begi" },
	{ "bad dns search", BASE "dns: {search: [\"a..b\"]}\n", 7, 16,
	  "search domain 'a..b' must be a DNS domain: labels of 1 to 63" },
	{ "dns server not IP", BASE "dns: {servers: [dns.google]}\n", 7, 17,
	  "bad IPv4 address 'dns.google' for 'dns.servers' (expected fo" },
	{ "missing deployment", "kiln: 1\nsubnets: []\nhosts: []\n", 1, 1,
	  "missing required section 'deployment' (with name and domain)" },
	{ "flow without port", BASE "flows:\n  - {from: {host: h1}, to: {host: h1}}\n", 8, 5,
	  "flow: missing required key 'port'" },
	{ "flow endpoint not a mapping", BASE "flows:\n  - {from: h1, to: {host: h1}, port: 1}\n", 8, 12,
	  "flow 'from' must be a mapping, not a scalar" },
	{ "bucket name too short", BASE "roles:\n  minio:\n    buckets: [{name: ab}]\n", 9, 22,
	  "bucket name 'ab' must be a valid S3 bucket name: 3 to 63 cha" },
	{ "s3alias suffix", BASE "roles:\n  minio:\n    buckets: [{name: data-s3alias}]\n", 9, 22,
	  "bucket name 'data-s3alias' must be a valid S3 bucket name: t" },
	{ "bad server_name", BASE APP_HOST "roles:\n  app:\n    service: {exec: /x}\n    tls: {server_name: \"www example\"}\n", 11, 24,
	  "server_name 'www example' must be a DNS domain: lower-case l" },
	{ "my.cnf multi-line value", BASE "roles:\n  mysql:\n    settings: {a: \"x\\ny\"}\n", 9, 19,
	  "my.cnf value for 'a' must be one line without control charac" },
	/* Values written into another file's syntax (profiles/syntax.h): refused here, with their position. */
	{ "exec adds unit lines", BASE APP_HOST "roles:\n  app:\n    service: {exec: \"/bin/app\\nUser=root\"}\n", 10, 21,
	  "service.exec '/bin/app\\nUser=root' must be one line without" },
	{ "exec with a privilege prefix", BASE APP_HOST "roles:\n  app:\n    service: {exec: \"+/bin/sh -c id\"}\n", 10, 21,
	  "service.exec '+/bin/sh -c id' must start with the program's a" },
	{ "exec ends in a backslash", BASE APP_HOST "roles:\n  app:\n    service: {exec: '/bin/app \\'}\n", 10, 21,
	  "must not end with '\\' (systemd would join the unit's next li" },
	{ "image as podman options", BASE APP_HOST "roles:\n  app:\n    service: {type: container, image: \"--privileged x\"}\n",
	  10, 39, "service.image '--privileged x' must be an image reference" },
	{ "mirror adds a source line", BASE "debian: {mirror: \"http://m/debian\\ndeb http://evil/ x main\"}\n", 7, 18,
	  "mirror 'http://m/debian\\ndeb http://evil/ x main' must be one" },
	{ "interface id is a path", BASE H2 "      ../../etc/x:\n        match: {name: eth1}\n", 14, 7,
	  "interface id '../../etc/x' must be 1 to 64 characters from [" },
	{ "interface id names an interface", BASE "  - name: h2\n    role: minio\n    subnet: a\n    address: 10.0.0.11\n"
	  "    ethernets:\n      a-very-long-ifname:\n        addresses: [10.0.0.11/24]\n", 12, 7,
	  "interface id 'a-very-long-ifname' must be a Linux interface nam" },
	{ "set-name with a space", BASE H2 "        match: {name: eth0}\n        set-name: \"lan 0\"\n", 15, 19,
	  "set-name 'lan 0' must be a Linux interface name" },
	{ "match.name list", BASE H2 "        match: {name: \"en* eth*\"}\n", 14, 23,
	  "match.name 'en* eth*' must be one name or glob of 1 to 64 c" },
	{ "env value with a carriage return", BASE APP_HOST APP_ROLE "      A: \"x\\rLD_PRELOAD=/tmp/e.so\"\n", 12, 10,
	  "environment value for 'A' must be one line without control c" },
	{ "my.cnf value with a comment", BASE "roles:\n  mysql:\n    settings: {a: \"1 # x\"}\n", 9, 19,
	  "my.cnf value for 'a' must not contain '#'" },
	{ "ssh key with options", BASE "ssh: {authorized_keys: ['command=\"/bin/sh\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA']}\n",
	  7, 25, "authorized_keys entry 1 must be one public key line" },
	{ "esxi network with a quote", BASE "esxi: {network: 'VM \"Net\"'}\n", 7, 17,
	  "esxi network 'VM \"Net\"' must be a vSphere port group name" },
};

static void test_too_big(void **state)
{
	(void)state;
	size_t n = PROFILE_MAX_BYTES + 1;
	char *big = xmalloc(n);
	memset(big, '#', n);
	struct model m;
	struct diags d = { 0 };
	assert_int_equal(profile_load_buffer("big.yaml", big, n, targets, &m, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 1);
	assert_non_null(strstr(d.v[0].msg, "larger than the 1048576 byte limit"));
	diags_free(&d);
	free(big);
}

static void test_errors_all_reported_and_capped(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_puts(&b, BASE);
	for (int i = 0; i < 120; i++)
		buf_printf(&b, "  - {name: x%d, role: minio, subnet: a, address: 10.0.9.%d}\n", i, i + 1);
	struct model m;
	struct diags d;
	assert_int_equal(load(b.data, &m, &d), -EINVAL);
	assert_int_equal(d.n, PROFILE_MAX_DIAGS + 1);
	assert_int_equal(d.v[0].line, 7);   /* sorted by position */
	assert_int_equal(d.v[1].line, 8);
	assert_non_null(strstr(d.v[PROFILE_MAX_DIAGS].msg, "too many errors"));
	diags_free(&d);
	buf_free(&b);
}

static void test_list_limit(void **state)
{
	(void)state;
	struct buf b;
	buf_init(&b);
	buf_puts(&b, BASE "dns:\n  servers:\n");
	for (int i = 0; i < 1025; i++)
		buf_puts(&b, "    - 10.0.0.2\n");
	struct model m;
	struct diags d;
	assert_int_equal(load(b.data, &m, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.v[0].line, 9);
	assert_int_equal(d.v[0].col, 5);
	assert_string_equal(d.v[0].msg, "dns.servers has 1025 entries, more than the 1024 a profile may have");
	diags_free(&d);
	buf_free(&b);
}

static void load_example(const char *path, struct model *m)
{
	struct diags d = { 0 };
	int r = profile_load_file(path, targets, m, &d);
	diags_print(&d, stderr);
	diags_free(&d);
	assert_int_equal(r, 0);
}

static void test_example_onprem(void **state)
{
	(void)state;
	struct model m;
	load_example("profiles/examples/onprem.yaml", &m);
	assert_string_equal(m.name, "acme");
	assert_int_equal(m.n_subnets, 2);
	assert_int_equal(m.n_hosts, 3);
	const struct host *db = model_find_host(&m, "db1");
	assert_non_null(db);
	assert_int_equal(db->role, ROLE_MYSQL);
	assert_string_equal(model_host_subnet(&m, db)->name, "data");
	assert_int_equal(db->size.memory_mib, 4096);
	assert_int_equal(db->size.data_disk_gib, 50);                         /* per-host override */
	assert_int_equal(model_find_host(&m, "minio1")->size.data_disk_gib, 40);   /* profile preset */
	assert_int_equal(model_find_host(&m, "app1")->size.data_disk_gib, 0);      /* app default */
	assert_int_equal(m.n_targets, 2);
	assert_string_equal(m.targets[0].name, "raw");
	assert_string_equal(m.targets[1].name, "esxi");
	assert_int_equal(m.n_flows, 2);
	assert_int_equal(m.flows[0].port, 3306);
	assert_int_equal(m.flows[0].proto, PROTO_TCP);
	assert_int_equal(m.roles.mysql.n_settings, 3);
	assert_string_equal(m.roles.mysql.setting_keys[2], "binlog_format");
	assert_int_equal(m.roles.app.n_env, 9);
	assert_int_equal(m.roles.app.env[0].pos.line, 72);
	assert_string_equal(m.esxi.disk_controller, "pvscsi");
	assert_string_equal(m.esxi.firmware, "efi");
	assert_false(m.esxi.secure_boot);
	assert_int_equal(m.n_ssh_from, 1);
	assert_int_equal(m.ssh_from[0].kind, EP_CIDR);
	assert_string_equal(m.debian.suite, "trixie");
	model_free(&m);
}

static void test_example_ec2(void **state)
{
	(void)state;
	struct model m;
	load_example("profiles/examples/ec2.yaml", &m);
	assert_int_equal(m.n_targets, 1);
	assert_true(model_has_target(&m, "ec2"));
	assert_false(model_has_target(&m, "raw"));
	for (size_t i = 0; i < m.n_hosts; i++) {
		assert_true(m.hosts[i].dhcp);
		assert_int_equal(m.hosts[i].address, 0);
	}
	assert_int_equal(m.roles.app.type, APP_CONTAINER);
	assert_int_equal(m.roles.app.port, 8080);
	assert_true(m.roles.mysql.tls);
	assert_int_equal(m.roles.minio.n_buckets, 2);
	assert_false(m.roles.minio.buckets[1].versioning);
	model_free(&m);
}

static void test_example_scaled(void **state)
{
	(void)state;
	struct model m;
	load_example("profiles/examples/scaled.yaml", &m);
	assert_int_equal(m.n_hosts, 9);
	const struct host *db2 = model_find_host(&m, "db2");
	assert_string_equal(db2->replica_of, "db1");
	assert_int_equal(db2->size.vcpus, 4);          /* built-in large ... */
	assert_int_equal(db2->size.memory_mib, 16384); /* ... with the profile's override */
	assert_int_equal(model_find_host(&m, "minio4")->size.data_disk_gib, 500);
	assert_int_equal(m.n_ssh_from, 1);
	assert_int_equal(m.ssh_from[0].kind, EP_SUBNET);
	model_free(&m);
}

static void test_example_static(void **state)
{
	(void)state;
	struct model m;
	load_example("profiles/examples/onprem-static.yaml", &m);
	const struct host *db = model_find_host(&m, "db1");
	assert_int_equal(db->n_ethernets, 1);
	assert_int_equal(db->ethernets[0].mtu, 9000);
	assert_int_equal(db->ethernets[0].n_routes, 2);
	assert_int_equal(db->ethernets[0].routes[1].metric, 200);
	assert_string_equal(db->ethernets[0].match_driver, "vmxnet3");
	const struct host *app = model_find_host(&m, "app1");
	assert_string_equal(app->ethernets[0].match_mac, "00:50:56:aa:10:20");
	assert_string_equal(app->ethernets[0].set_name, "lan0");
	assert_int_equal(app->ethernets[0].routes[0].metric, -1);
	const struct host *mi = model_find_host(&m, "minio1");
	assert_true(mi->ethernets[1].dhcp4);
	assert_true(mi->ethernets[1].optional);
	model_free(&m);
}

static const char *fake_secret(void *ud, const char *name)
{
	(void)ud;
	if (!strcmp(name, "mysql_app_password"))
		return "p@ss";
	return NULL;
}

static void test_template_expand(void **state)
{
	(void)state;
	struct model m;
	load_example("profiles/examples/onprem.yaml", &m);
	struct buf b;
	buf_init(&b);
	assert_int_equal(env_template_expand(&m, "mysql://${mysql.user}:${secret.mysql_app_password}@${host.db1}/"
					     "${mysql.database}", fake_secret, NULL, &b), 0);
	assert_string_equal(b.data, "mysql://app:p@ss@192.168.40.210/appdb");
	buf_free(&b);
	assert_int_equal(env_template_expand(&m, "http://${role.minio}:9000 $$HOME $x ${deployment.name}."
					     "${deployment.domain}", NULL, NULL, &b), 0);
	assert_string_equal(b.data, "http://192.168.40.215:9000 $HOME $x acme.acme.internal");
	buf_free(&b);
	/* Known but unavailable secret; unknown secret; bad reference. */
	assert_int_equal(env_template_expand(&m, "${secret.flask_secret_key}", fake_secret, NULL, &b), -ENOKEY);
	buf_free(&b);
	assert_int_equal(env_template_expand(&m, "${secret.nope}", fake_secret, NULL, &b), -EINVAL);
	buf_free(&b);
	size_t off = 0;
	char *msg = NULL;
	assert_int_equal(env_template_check(&m, "abc ${role.redis}", &off, &msg), -EINVAL);
	assert_int_equal(off, 4);
	assert_non_null(strstr(msg, "unknown role 'redis'"));
	free(msg);
	assert_int_equal(env_template_check(&m, "${mysql.password}", &off, &msg), -EINVAL);
	assert_non_null(strstr(msg, "unknown template reference"));
	free(msg);
	/* replication secret only exists with a replica */
	assert_int_equal(env_template_check(&m, "${secret.mysql_replication_password}", &off, &msg), -EINVAL);
	free(msg);
	model_free(&m);
}

static void test_template_dhcp_fqdn(void **state)
{
	(void)state;
	struct model m;
	load_example("profiles/examples/ec2.yaml", &m);
	struct buf b;
	buf_init(&b);
	assert_int_equal(env_template_expand(&m, "${host.db1} ${role.minio}", NULL, NULL, &b), 0);
	assert_string_equal(b.data, "db1.shop.internal minio1.shop.internal");
	buf_free(&b);
	model_free(&m);
}

static void test_ipv4_helpers(void **state)
{
	(void)state;
	uint32_t a;
	struct ipv4_net n;
	char buf[19];
	assert_int_equal(ipv4_parse("192.168.40.200", &a), 0);
	assert_int_equal(a, 0xc0a828c8);
	assert_string_equal(ipv4_fmt(a, buf), "192.168.40.200");
	assert_int_equal(ipv4_parse("0.0.0.0", &a), 0);
	assert_int_equal(ipv4_parse("255.255.255.255", &a), 0);
	assert_int_equal(a, 0xffffffff);
	static const char *const bad[] = { "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.04", "1.2.3.4 ", "a.b.c.d",
		"1..2.3", "-1.2.3.4", "1.2.3.4/24", "1234.1.1.1" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(ipv4_parse(bad[i], &a), -EINVAL);
	assert_int_equal(ipv4_net_parse("10.20.1.0/24", &n), 0);
	assert_int_equal(n.addr, 0x0a140100);
	assert_int_equal(n.prefix, 24);
	assert_string_equal(ipv4_net_fmt(&n, buf), "10.20.1.0/24");
	assert_int_equal(ipv4_net_parse("10.20.1.1/24", &n), -EINVAL);
	assert_int_equal(ipv4_net_parse("10.20.1.0/33", &n), -EINVAL);
	assert_int_equal(ipv4_net_parse("10.20.1.0/", &n), -EINVAL);
	assert_int_equal(ipv4_net_parse("10.20.1.0/024", &n), -EINVAL);
	assert_int_equal(ipv4_net_parse("0.0.0.0/0", &n), 0);
	assert_string_equal(ipv4_net_fmt(&n, buf), "0.0.0.0/0");
	assert_int_equal(ipv4_net_parse("255.255.255.255/32", &n), 0);
	assert_string_equal(ipv4_net_fmt(&n, buf), "255.255.255.255/32");
	uint8_t p;
	assert_int_equal(ipv4_addr_prefix_parse("10.0.0.5/24", &a, &p), 0);
	assert_int_equal(ipv4_addr_prefix_parse("10.0.0.5/40", &a, &p), -ERANGE);
	assert_int_equal(ipv4_netmask(0), 0);
	assert_int_equal(ipv4_netmask(24), 0xffffff00);
	assert_int_equal(ipv4_netmask(32), 0xffffffff);
	assert_int_equal(ipv4_net_parse("192.168.40.192/28", &n), 0);
	assert_int_equal(ipv4_broadcast(&n), 0xc0a828cf);
	assert_true(ipv4_net_contains(&n, 0xc0a828c8));
	assert_false(ipv4_net_contains(&n, 0xc0a828d0));
	struct ipv4_net o, q;
	ipv4_net_parse("192.168.40.0/24", &o);
	ipv4_net_parse("192.168.40.208/28", &q);
	assert_true(ipv4_net_overlap(&n, &o));
	assert_true(ipv4_net_overlap(&o, &n));
	assert_false(ipv4_net_overlap(&n, &q));
	ipv4_net_parse("0.0.0.0/0", &q);
	assert_true(ipv4_net_overlap(&n, &q));
}

static void test_roles_and_endpoints(void **state)
{
	(void)state;
	assert_string_equal(role_name(ROLE_MINIO), "minio");
	assert_int_equal(role_from_name("mysql"), ROLE_MYSQL);
	assert_int_equal(role_from_name("redis"), -EINVAL);
	struct model m;
	load_example("profiles/examples/scaled.yaml", &m);
	const struct host *app1 = model_find_host(&m, "app1"), *db1 = model_find_host(&m, "db1");
	assert_null(model_find_host(&m, "nope"));
	assert_null(model_find_subnet(&m, "nope"));
	assert_non_null(model_find_subnet(&m, "admin"));
	struct endpoint e = { .kind = EP_ROLE, .name = (char *)"app" };
	assert_true(endpoint_matches_host(&m, &e, app1));
	assert_false(endpoint_matches_host(&m, &e, db1));
	e = (struct endpoint){ .kind = EP_HOST, .name = (char *)"db1" };
	assert_true(endpoint_matches_host(&m, &e, db1));
	assert_false(endpoint_matches_host(&m, &e, app1));
	e = (struct endpoint){ .kind = EP_SUBNET, .name = (char *)"web" };
	assert_true(endpoint_matches_host(&m, &e, app1));
	assert_false(endpoint_matches_host(&m, &e, db1));
	e = (struct endpoint){ .kind = EP_CIDR, .name = (char *)"10.50.2.0/28" };
	ipv4_net_parse(e.name, &e.cidr);
	assert_true(endpoint_matches_host(&m, &e, db1));      /* .10 */
	assert_false(endpoint_matches_host(&m, &e, model_find_host(&m, "minio1")));   /* .21 */
	model_free(&m);

	load_example("profiles/examples/ec2.yaml", &m);
	e = (struct endpoint){ .kind = EP_CIDR, .name = (char *)"10.20.0.0/16" };
	ipv4_net_parse(e.name, &e.cidr);
	assert_true(endpoint_matches_host(&m, &e, model_find_host(&m, "db1")));   /* DHCP: its subnet is inside */
	ipv4_net_parse("10.20.2.0/25", &e.cidr);
	assert_false(endpoint_matches_host(&m, &e, model_find_host(&m, "db1")));
	model_free(&m);
}

static void test_json_escaping(void **state)
{
	(void)state;
	/* tls.cert is a path on the operator's machine: any character may appear. */
	const char *y = BASE APP_HOST "roles:\n  app:\n    service: {exec: /x}\n"
			"    tls: {key: k.pem, cert: \"SET x='a\\\"b\\\\c\\td\\u0001'\"}\n";
	struct model m;
	struct diags d;
	assert_int_equal(load(y, &m, &d), 0);
	struct buf b;
	buf_init(&b);
	model_to_json(&m, &b);
	assert_non_null(strstr(b.data, "\"SET x='a\\\"b\\\\c\\td\\u0001'\""));
	assert_non_null(strstr(b.data, "\"hosts\":[{\"name\":\"h1\",\"fqdn\":\"h1.t.lan\",\"role\":\"mysql\""));
	assert_non_null(strstr(b.data, "\"targets\":[\"raw\"]"));
	buf_free(&b);
	model_free(&m);
	diags_free(&d);
}

/* targets: checked against the caller's names and listed in their order,
 * each once, where it was first named; without names (the agent) any simple
 * name as written. */
static void test_target_names(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(BASE "targets: [ec2, iso, raw, esxi, ec2]\n", &m, &d), 0);
	assert_int_equal(m.n_targets, 4);
	const char *order[] = { "raw", "esxi", "ec2", "iso" };
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(m.targets[i].name, order[i]);
	assert_int_equal(m.targets[2].pos.line, 7);
	assert_int_equal(m.targets[2].pos.col, 11);   /* the first "ec2" */
	model_free(&m);
	diags_free(&d);

	const char *y = BASE "targets: [vbox, raw, vbox]\n";
	assert_int_equal(profile_load_buffer("p.yaml", y, strlen(y), NULL, &m, &d), 0);
	assert_int_equal(m.n_targets, 2);
	assert_string_equal(m.targets[0].name, "vbox");
	assert_string_equal(m.targets[1].name, "raw");
	model_free(&m);
	assert_int_equal(profile_load_buffer("p.yaml", BASE, strlen(BASE), NULL, &m, &d), 0);
	assert_int_equal(m.n_targets, 0);   /* no default without names */
	model_free(&m);
	y = BASE "targets: [Bad_Name]\n";
	assert_int_equal(profile_load_buffer("p.yaml", y, strlen(y), NULL, &m, &d), -EINVAL);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].msg, "target 'Bad_Name' must be 1 to 32 characters from [a-z0-9-]");
	diags_free(&d);
	y = BASE "targets: []\n";
	assert_int_equal(profile_load_buffer("p.yaml", y, strlen(y), NULL, &m, &d), -EINVAL);
	assert_string_equal(d.v[0].msg, "'targets' is empty");
	diags_free(&d);
	/* the list the caller passes is the one the message names */
	const char *const two[] = { "raw", "usb", NULL };
	y = BASE "targets: [esxi]\n";
	assert_int_equal(profile_load_buffer("p.yaml", y, strlen(y), two, &m, &d), -EINVAL);
	assert_string_equal(d.v[0].msg, "unknown target 'esxi' (expected raw or usb)");
	diags_free(&d);
}

/* esxi.hardware_version: the syntax and the versions that boot EFI appliances. */
static void test_esxi_hardware_version(void **state)
{
	(void)state;
	unsigned v = 0;
	assert_int_equal(esxi_hardware_version_parse("vmx-14", &v), 0);
	assert_int_equal(v, 14);
	assert_int_equal(esxi_hardware_version_parse("vmx-11", &v), 0);
	assert_int_equal(esxi_hardware_version_parse("vmx-21", &v), 0);
	assert_int_equal(v, 21);
	assert_int_equal(esxi_hardware_version_parse("vmx-12", &v), -ENOTSUP);   /* Workstation 12 */
	assert_int_equal(esxi_hardware_version_parse("vmx-16", &v), -ENOTSUP);   /* Workstation 15.1 */
	assert_int_equal(esxi_hardware_version_parse("vmx-10", &v), -ENOTSUP);
	assert_int_equal(esxi_hardware_version_parse("vmx-22", &v), -ENOTSUP);
	assert_int_equal(esxi_hardware_version_parse("vmx-", &v), -EINVAL);
	assert_int_equal(esxi_hardware_version_parse("vmx14", &v), -EINVAL);
	assert_int_equal(esxi_hardware_version_parse("vmx-1x", &v), -EINVAL);
	assert_int_equal(esxi_hardware_version_parse("vmx-99999999999999999999", &v), -EINVAL);
	assert_int_equal(esxi_hardware_version_parse(NULL, &v), -EINVAL);
	assert_false(esxi_hardware_version_ok(16));
	assert_true(esxi_hardware_version_ok(13));
	/* the model carries the number the OVF descriptor is written from */
	struct model m;
	struct diags d;
	assert_int_equal(load(BASE "esxi: {hardware_version: vmx-20}\n", &m, &d), 0);
	assert_int_equal(m.esxi.hw_version, 20);
	model_free(&m);
	diags_free(&d);
}

static void test_defaults(void **state)
{
	(void)state;
	struct model m;
	struct diags d;
	assert_int_equal(load(BASE, &m, &d), 0);
	assert_string_equal(m.debian.mirror, "http://deb.debian.org/debian");
	assert_string_equal(m.hosts[0].size_preset, "medium");
	assert_int_equal(m.hosts[0].size.vcpus, 2);
	assert_int_equal(m.n_targets, 1);
	assert_string_equal(m.targets[0].name, "raw");   /* the first of the caller's names */
	assert_string_equal(m.esxi.hardware_version, "vmx-14");
	assert_int_equal(m.esxi.hw_version, 14);
	assert_string_equal(m.esxi.network, "VM Network");
	assert_string_equal(m.roles.mysql.database, "app");
	assert_int_equal(m.n_sizes, 3);
	assert_int_equal(m.hosts[0].pos.line, 6);
	assert_int_equal(m.hosts[0].pos.col, 5);
	assert_string_equal(m.hosts[0].pos.file, "p.yaml");
	model_free(&m);
	diags_free(&d);
}

int main(void)
{
	enum { NR = sizeof rejects / sizeof *rejects };
	struct CMUnitTest tests[NR + 16];
	size_t n = 0;
	n += add_rejects(tests, rejects, NR);
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_errors_all_reported_and_capped),
		cmocka_unit_test(test_list_limit),
		cmocka_unit_test(test_example_onprem),
		cmocka_unit_test(test_example_ec2),
		cmocka_unit_test(test_example_scaled),
		cmocka_unit_test(test_example_static),
		cmocka_unit_test(test_template_expand),
		cmocka_unit_test(test_template_dhcp_fqdn),
		cmocka_unit_test(test_ipv4_helpers),
		cmocka_unit_test(test_roles_and_endpoints),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_esxi_hardware_version),
		cmocka_unit_test(test_target_names),
		cmocka_unit_test(test_defaults),
	};
	for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("profile", tests, n, NULL, NULL);
}
