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

static inline uint64_t bytes_hash_step(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
}

static inline uint64_t bytes_hash(const uint8_t *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
    size_t i = 0;
    if (n >= 64) {
        uint64_t l0 = h, l1 = h ^ 0x94d049bb133111ebull, l2 = h + 0x2545f4914f6cdd1dull,
                 l3 = h ^ 0x632be59bd9b4e019ull;
        for (; i + 32 <= n; i += 32) {
            uint64_t w[4];
            memcpy(w, p + i, 32);
            l0 = bytes_hash_step(l0, w[0]);
            l1 = bytes_hash_step(l1, w[1]);
            l2 = bytes_hash_step(l2, w[2]);
            l3 = bytes_hash_step(l3, w[3]);
#if defined(__GNUC__)
            /* Kept in general registers: vectorised, the four lanes' 64-bit multiplies became
             * SSE2 emulations of three multiplies each (x86-64 has no packed 64-bit multiply
             * before AVX-512), several times slower than four scalar imuls side by side. */
            __asm__("" : "+r"(l0), "+r"(l1), "+r"(l2), "+r"(l3));
#endif
        }
        h = bytes_hash_step(bytes_hash_step(l0, l1), bytes_hash_step(l2, l3));
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = bytes_hash_step(h, w);
    }
    /* The last 0-7 bytes, gathered in a register as a little-endian load of them would give.
     * A memcpy into a zeroed word stores them in pieces and reads the word back, a load that
     * cannot be forwarded from those stores (a stall in every hash). */
    size_t rest = n - i;
    uint64_t w = 0;
    unsigned shift = 0;
    if (rest & 4) {
        uint32_t a;
        memcpy(&a, p + i, 4);
        w = a;
        i += 4;
        shift = 32;
    }
    if (rest & 2) {
        uint16_t b;
        memcpy(&b, p + i, 2);
        w |= (uint64_t)b << shift;
        i += 2;
        shift += 16;
    }
    if (rest & 1) {
        w |= (uint64_t)p[i] << shift;
    }
    h = (h ^ w) * 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}

#endif
