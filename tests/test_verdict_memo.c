/* Tests of classify/verdict_memo.c's digests of recent keys: a digest comes from the table only for
 * the very bytes it was computed from. Keys of one length that differ in one byte, more of
 * them than the table has slots (so slots are shared), must each get their own SHA-256;
 * repeats are hits; keys too long for a slot are hashed every time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dissect.h"
#include "verdict_memo.h"

static void check_key(struct vmemo_digests *d, const uint8_t *key, size_t len)
{
    uint8_t want[CLS_MEMO_KEY_LEN], got[CLS_MEMO_KEY_LEN];
    tls_sha256(key, len, want);
    vmemo_key_digest(d, key, len, got);
    assert_memory_equal(got, want, sizeof(want));
}

static void test_same_length_keys(void **state)
{
    (void)state;
    struct vmemo_digests *d = vmemo_digests_new();
    uint8_t key[700];
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < 1000; i++) {
            memset(key, 0x5a, sizeof(key));
            key[i % sizeof(key)] ^= (uint8_t)(1 + i / sizeof(key)); /* one byte differs */
            check_key(d, key, sizeof(key));
        }
    }
    /* A key asked for twice in a row is a hit the second time. */
    uint64_t hits0, misses0, hits1, misses1;
    vmemo_digests_counts(d, &hits0, &misses0);
    memset(key, 1, sizeof(key));
    check_key(d, key, sizeof(key));
    check_key(d, key, sizeof(key));
    vmemo_digests_counts(d, &hits1, &misses1);
    assert_int_equal(misses1 - misses0, 1);
    assert_int_equal(hits1 - hits0, 1);
    vmemo_digests_free(d);
}

/* Lengths around the 8-byte words the slot hash reads, and keys that are prefixes of others. */
static void test_lengths_and_prefixes(void **state)
{
    (void)state;
    struct vmemo_digests *d = vmemo_digests_new();
    uint8_t key[64];
    for (size_t i = 0; i < sizeof(key); i++) {
        key[i] = (uint8_t)(i * 7);
    }
    for (int round = 0; round < 2; round++) {
        for (size_t len = 1; len <= sizeof(key); len++) {
            check_key(d, key, len);
        }
    }
    vmemo_digests_free(d);
}

static void test_too_long_and_no_table(void **state)
{
    (void)state;
    struct vmemo_digests *d = vmemo_digests_new();
    static uint8_t big[5000];
    memset(big, 3, sizeof(big));
    uint64_t hits, misses;
    check_key(d, big, sizeof(big));
    check_key(d, big, sizeof(big));
    vmemo_digests_counts(d, &hits, &misses);
    assert_int_equal(hits + misses, 0); /* never looked up */
    check_key(NULL, big, 10);
    vmemo_digests_free(d);
    vmemo_digests_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_length_keys),
                                       cmocka_unit_test(test_lengths_and_prefixes),
                                       cmocka_unit_test(test_too_long_and_no_table)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
