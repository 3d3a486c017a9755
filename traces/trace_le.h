/* trace_le: little-endian loads and stores for the binary trace formats,
 * which are little-endian on disk whatever the machine.  memcpy keeps the
 * accesses legal at any alignment; compilers turn it into a plain load. */
#ifndef FRAGSIM_TRACE_LE_H
#define FRAGSIM_TRACE_LE_H

#include <stdint.h>
#include <string.h>

static inline uint16_t le16_load(const unsigned char *p) {
    uint16_t v;
    memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap16(v);
#endif
    return v;
}

static inline uint32_t le32_load(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline uint64_t le64_load(const unsigned char *p) {
    uint64_t v;
    memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void le32_store(unsigned char *p, uint32_t v) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    memcpy(p, &v, sizeof v);
}

static inline void le64_store(unsigned char *p, uint64_t v) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, sizeof v);
}

#endif
