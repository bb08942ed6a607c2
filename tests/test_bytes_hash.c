/* base/bytes_hash.h: the 0-7 bytes past the last whole word are gathered in a register; the
 * hash is the one the plain formulation (those bytes copied into a zeroed word) gives, for every
 * length and alignment, and each of those bytes changes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bytes_hash.h"

/* The formulation the header had before its tail was gathered in a register (little-endian). */
static uint64_t reference_hash(const uint8_t *p, size_t n)
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
                l[k] = bytes_hash_step(l[k], w);
            }
        }
        h = bytes_hash_step(bytes_hash_step(l[0], l[1]), bytes_hash_step(l[2], l[3]));
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = bytes_hash_step(h, w);
    }
    uint64_t w = 0;
    memcpy(&w, p + i, n - i);
    h = (h ^ w) * 0x94d049bb133111ebull;
    return h ^ (h >> 29);
}

static bool little_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void same_as_reference(void **state)
{
    (void)state;
    if (!little_endian()) {
        skip();
    }
    uint8_t buf[208];
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 37 + 11);
    }
    for (size_t off = 0; off < 8; off++) {
        for (size_t n = 0; n + off <= 200; n++) {
            if (bytes_hash(buf + off, n) != reference_hash(buf + off, n)) {
                fail_msg("offset %zu length %zu: differs from the reference", off, n);
            }
        }
    }
}

static void every_tail_byte_counts(void **state)
{
    (void)state;
    uint8_t buf[80];
    for (size_t n = 1; n <= sizeof(buf); n++) {
        memset(buf, 0x5a, sizeof(buf));
        uint64_t h = bytes_hash(buf, n);
        size_t tail = n % 8;
        for (size_t k = n - tail; k < n; k++) {
            buf[k] ^= 0x01;
            if (bytes_hash(buf, n) == h) {
                fail_msg("length %zu: byte %zu does not change the hash", n, k);
            }
            buf[k] ^= 0x01;
        }
        /* A byte past the end never counts. */
        if (n < sizeof(buf)) {
            buf[n] ^= 0xff;
            assert_true(bytes_hash(buf, n) == h);
            buf[n] ^= 0xff;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_as_reference),
        cmocka_unit_test(every_tail_byte_counts),
    };
    return cmocka_run_group_tests_name("bytes_hash", tests, NULL, NULL);
}
