/* Internal to dissect/ and its tests: what the connections of one run share (struct
 * tls_shared, made by tls_shared_new). Each part only saves work and changes no summary:
 * - fp_memo: JA3/JA4/JA3S by their exact inputs (tls_fp_memo.c), computed once per distinct
 *   hello instead of once per connection;
 * - conn_spares, rec_spares: freed connection states and framers' record buffers handed to the
 *   next connections while still in cache (spare_list.h). */
#ifndef TLSSCOPE_TLS_SHARED_INTERNAL_H
#define TLSSCOPE_TLS_SHARED_INTERNAL_H

#include "dissect.h"
#include "spare_list.h"

/* The largest record plaintext (RFC 5246 §6.2.3: 2^14 + 2048 of ciphertext). */
#define TLS_DEC_SCRATCH (16384 + 2048)

struct tls_fp_memo;
struct tls_fp_memo_stats {
    uint64_t hits, misses;
};
struct tls_fp_memo *tls_fp_memo_new(void);
void tls_fp_memo_free(struct tls_fp_memo *m); /* NULL-safe */
struct tls_fp_memo_stats tls_fp_memo_get_stats(const struct tls_fp_memo *m);

struct tls_shared {
    struct tls_fp_memo *fp_memo;
    struct tls_keylog *keylog; /* borrowed; NULL: no decryption */
    GHashTable *dec_states;    /* struct tls_conn * -> struct tls_dec *, with a key log only */
    uint8_t *dec_scratch;      /* TLS_DEC_SCRATCH bytes: one record's plaintext, then dropped */
    struct spare_list conn_spares; /* blocks of sizeof(struct tls_conn) */
    struct spare_list rec_spares;  /* record buffers, TLS_REC_KEEP bytes each */
};

/* tls_conn_spares_init: s as a list of connection-sized blocks, up to max of them; release it
 * with spare_list_cleanup once no connection made with it is left. */
void tls_conn_spares_init(struct spare_list *s, unsigned max);
/* tls_rec_spares_init: the same, of record buffers (4 KB each). */
void tls_rec_spares_init(struct spare_list *s, unsigned max);

#endif
