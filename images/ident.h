/* Deterministic identifiers for an image: every GUID, UUID, volume id and
 * hash seed is derived from the profile's identity string and a purpose tag
 * ("disk", "esp", "root", "root-fs", ...), so the same inputs always give the
 * same bytes and different images never share an id. */
#ifndef KILN_IDENT_H
#define KILN_IDENT_H
#include <stdint.h>

#define GUID_STR_LEN 36

/* 16 bytes of BLAKE2b(key-less) over "kiln-ident\0" identity "\0" purpose. */
void ident_bytes(const char *identity, const char *purpose, uint8_t out[16]);

/* Same, with the RFC 4122 version-4 and variant bits set, so tools that
 * check the format accept it. Bytes are in RFC 4122 (big-endian) order. */
void ident_guid(const char *identity, const char *purpose, uint8_t out[16]);

/* 32-bit value (e.g. a FAT volume id). */
uint32_t ident_u32(const char *identity, const char *purpose);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (upper case) + NUL. */
void guid_format(const uint8_t g[16], char out[GUID_STR_LEN + 1]);
#endif
