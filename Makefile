# kiln — build, test and dependency entry points.
#   make deps    install every build/test dependency (apt-get) and build
#   make         build kiln and kiln-firstboot into build/
#   make check   ASan+UBSan build in build-san/, then every test tier
#   make fuzz-long  every fuzz harness for 10 million executions (not in check)
.DEFAULT_GOAL := all
BUILD    ?= build
CC       ?= cc
PKGS     := yaml-0.1 libsodium libarchive blkid fdisk ext2fs libcurl zlib libdeflate libcrypto libxml-2.0 libargon2 libelf libzstd libsystemd
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -Wall -Wextra -Werror \
            -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
            -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDFLAGS  += -Wl,--as-needed
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread
# kiln-firstboot loads these when first used (firstboot/lazy_libs.c), not at every start.
FB_LAZY_PKGS := libarchive libcurl libxml-2.0 libsystemd
FB_LDLIBS := $(shell pkg-config --libs $(filter-out $(FB_LAZY_PKGS),$(PKGS)) 2>/dev/null) -lpthread
ifeq ($(SAN),1)
CFLAGS   += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif
KILN_VERSION := $(shell cat VERSION)
CFLAGS   += -DKILN_VERSION='"$(KILN_VERSION)"'

# Library code shared by both binaries: everything under these directories.
LIB_DIRS := lib profiles images esxi ec2 baremetal targets
LIB_SRC  := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
# kiln's code, like the agent's, is an archive so unit tests can link it; main.c is the binary.
INST_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out installer/main.c,$(wildcard installer/*.c)))
# The agent's code lives in its own archive so unit tests can link it; main.c is the binary.
# lazy_libs.c is the binary's only (it stands in for libraries the archive's users link).
FB_SRC   := $(filter-out firstboot/main.c firstboot/lazy_libs.c,$(wildcard firstboot/*.c))
FB_OBJ   := $(FB_SRC:%.c=$(BUILD)/obj/%.o)
# The installer media's program (kiln-installer, the media's /init): its code
# is an archive too, so unit tests can link it; main.c is the binary.
MED_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(filter-out medium/main.c,$(wildcard medium/*.c)))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/kiln $(BUILD)/kiln-firstboot $(BUILD)/kiln-installer

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libkiln.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libinstaller.a: $(INST_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/kiln: $(BUILD)/obj/installer/main.o $(BUILD)/libinstaller.a $(BUILD)/libkiln.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libfirstboot.a: $(FB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/kiln-firstboot: $(BUILD)/obj/firstboot/main.o $(BUILD)/obj/firstboot/lazy_libs.o $(BUILD)/libfirstboot.a $(BUILD)/libkiln.a
	$(CC) $(LDFLAGS) -o $@ $^ $(FB_LDLIBS)

$(BUILD)/libmedium.a: $(MED_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/kiln-installer: $(BUILD)/obj/medium/main.o $(BUILD)/libmedium.a $(BUILD)/libkiln.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libinstaller.a $(BUILD)/libfirstboot.a $(BUILD)/libmedium.a $(BUILD)/libkiln.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) -o $@ $< $(BUILD)/libinstaller.a $(BUILD)/libfirstboot.a \
		$(BUILD)/libmedium.a $(BUILD)/libkiln.a $(LDLIBS) -lcmocka

# The lazy loader's test links it as kiln-firstboot does: without the libraries it loads.
# Its failure paths (_missing, _nosym) are linked the same way, with dlopen
# and dlsym wrapped to fail for the four libraries
# (tests/unit/lazy_libs_failing.h): one binary per way of failing.
LAZY_FAIL_TESTS := $(BUILD)/tests/test_firstboot_lazy_libs_missing $(BUILD)/tests/test_firstboot_lazy_libs_nosym
$(LAZY_FAIL_TESTS): LAZY_WRAP := -Wl,--wrap=dlopen,--wrap=dlsym
$(BUILD)/tests/test_firstboot_lazy_libs $(LAZY_FAIL_TESTS): $(BUILD)/tests/%: tests/unit/%.c $(BUILD)/obj/firstboot/lazy_libs.o $(BUILD)/libkiln.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) $(LAZY_WRAP) -o $@ $< $(BUILD)/obj/firstboot/lazy_libs.o $(BUILD)/libkiln.a \
		$(FB_LDLIBS) -lcmocka

# Small programs the shell tests drive library code with (tests/drivers/*.c).
DRIVER_SRC := $(wildcard tests/drivers/*.c)
DRIVER_BIN := $(DRIVER_SRC:tests/drivers/%.c=$(BUILD)/drivers/%)
$(BUILD)/drivers/%: tests/drivers/%.c $(BUILD)/libfirstboot.a $(BUILD)/libkiln.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -MF $@.d $(LDFLAGS) -o $@ $< $(BUILD)/libfirstboot.a $(BUILD)/libkiln.a $(LDLIBS)

tests: all $(UNIT_BIN) $(DRIVER_BIN)

# Header dependencies of objects, unit tests and drivers (-MMD).
-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/drivers -name '*.d' 2>/dev/null)

# Fuzz harnesses (clang + libFuzzer), each tests/fuzz/fuzz_*.c run briefly by make check.
# The library is compiled once with coverage instrumentation (fuzzer-no-link)
# into build-fuzz/libkiln.a; each harness links against it.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/%.c=build-fuzz/%)
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -g -O1 -I. \
	$(shell pkg-config --cflags $(PKGS) 2>/dev/null) -DKILN_VERSION='"$(KILN_VERSION)"'
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
FUZZ_FB_OBJ  := $(FB_SRC:%.c=build-fuzz/obj/%.o)
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@
build-fuzz/libkiln.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^
build-fuzz/libfirstboot.a: $(FUZZ_FB_OBJ)
	@rm -f $@
	ar rcs $@ $^
build-fuzz/%: tests/fuzz/%.c build-fuzz/libkiln.a build-fuzz/libfirstboot.a
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< build-fuzz/libfirstboot.a build-fuzz/libkiln.a $(LDLIBS)
-include $(shell find build-fuzz/obj -name '*.d' 2>/dev/null)
fuzz: $(FUZZ_BIN)

# Deep fuzzing, not in `make check` (hours of CPU): every harness for
# FUZZ_LONG_RUNS executions from its corpus, printing executions and crashes
# per harness (tests/fuzz/long.sh; FUZZ_LONG_ONLY=name narrows it).
FUZZ_LONG_RUNS ?= 10000000
fuzz-long: fuzz
	tests/fuzz/long.sh $(FUZZ_LONG_RUNS)

DEPS := build-essential pkg-config clang libyaml-dev libsodium-dev libarchive-dev \
	libblkid-dev libfdisk-dev e2fslibs-dev libcurl4-openssl-dev libssl-dev zlib1g-dev \
	libdeflate-dev libzstd-dev libxml2-dev libsystemd-dev libcmocka-dev nftables minisign netplan.io e2fsprogs gdisk fdisk \
	dosfstools mtools qemu-utils qemu-system-x86 ovmf seabios mmdebstrap systemd-boot-efi grub-common grub-pc-bin \
	xorriso python3 uidmap s3cmd python3-boto3 python3-flask python3-pymysql mariadb-server \
	mariadb-client mariadb-backup openssl iproute2 curl systemd libxml2-utils openssh-client libargon2-dev \
	python3-argon2 python3-cryptography golang-go golang-github-minio-madmin-go-dev \
	golang-github-minio-minio-go-v7-dev golang-github-secure-io-sio-go-dev golang-golang-x-crypto-dev \
	bmap-tools libelf-dev prometheus prometheus-alertmanager prometheus-node-exporter \
	prometheus-mysqld-exporter systemd-journal-remote python3-jwt podman haproxy keepalived
deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEPS)
	$(MAKE) all

# The full test run: sanitizer build, then every tier; ends with "N passed, N failed".
# The plain build is made too: images carry build/kiln-firstboot (an ASan
# binary would need the sanitizer runtimes inside the appliance).
# The builds use every core (CI's budget is time: serial, they took 106 s of it).
JOBS ?= $(shell nproc)
check:
	$(MAKE) -j$(JOBS) all
	$(MAKE) -j$(JOBS) BUILD=build-san SAN=1 tests
	$(MAKE) -j$(JOBS) fuzz
	KILN_BUILD=build-san tests/run

clean:
	rm -rf build build-san build-fuzz

.PHONY: all deps check clean tests fuzz fuzz-long
