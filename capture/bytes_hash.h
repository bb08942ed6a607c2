/* A fast hash of a byte string, for picking the slot of a small memo table whose entries keep
 * their keys and compare them byte for byte: it spreads ordinary inputs, and makes no promise
 * against crafted ones (a collision costs a miss, never a wrong answer). Header-only.
 *
 * Keys run to a few KB (a verdict key holds a certificate whole), so long inputs go through four
 * independent lanes of 8-byte words: each lane's multiply waits only for its own previous one,
 * and the four run side by side. */
#ifndef TLSSCOPE_BYTES_HASH_H
#define TLSSCOPE_BYTES_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t cap_bytes_hash_step(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
}

static inline uint64_t cap_bytes_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    size_t i = 0;
    if (n >= 64) {
        uint64_t l[4] = {h, h ^ 0x94d049bb133111ebull, h + 0x2545f4914f6cdd1dull,
                         h ^ 0x632be59bd9b4e019ull};
        for (; i + 32 <= n; i += 32) {
            for (int k = 0; k < 4; k++) {
                uint64_t w;
                memcpy(&w, p + i + 8 * (size_t)k, 8);
                l[k] = cap_bytes_hash_step(l[k], w);
            }
        }
        h = cap_bytes_hash_step(cap_bytes_hash_step(l[0], l[1]), cap_bytes_hash_step(l[2], l[3]));
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = cap_bytes_hash_step(h, w);
    }
    uint64_t w = 0;
    memcpy(&w, p + i, n - i);
    h = (h ^ w) * 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}

#endif
