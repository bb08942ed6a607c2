/* A fast hash of a byte string, for picking the slot of a small memo table whose entries keep
 * their keys and compare them byte for byte: it spreads ordinary inputs, and makes no promise
 * against crafted ones (a collision costs a miss, never a wrong answer). Header-only. */
#ifndef TLSSCOPE_BYTES_HASH_H
#define TLSSCOPE_BYTES_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t cap_bytes_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
        h ^= h >> 31;
    }
    uint64_t w = 0;
    memcpy(&w, p + i, n - i);
    h = (h ^ w) * 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}

#endif
