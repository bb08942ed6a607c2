/* Reusing nDPI's verdict on TLS flows that look, to nDPI, exactly like one it already read.
 *
 * A flow opening with a ClientHello has its segments held back from nDPI until the server's
 * first payload segment (normally its ServerHello flight). By then the key is known: the TLS
 * shape of every held segment (cls_shape_append: the hellos with randoms, session IDs, key
 * shares, PSKs and tickets zeroed), each segment's direction, flags, sizes and sequence numbers
 * relative to the first, and nDPI's context (cls_classify_context, taken then). A verdict
 * remembered under the key is taken (a verdict that read a certificate only when the time falls in
 * its validity as it did then) and nDPI never reads the flow; otherwise nDPI reads the held
 * segments, and when its classification is final right after them, its verdict is remembered.
 * Anything else (a second client segment, a handshake message split over segments, more than a few
 * held segments, the flow ending) hands the held segments to nDPI as they were, in order. */
#ifndef TLSSCOPE_VERDICT_MEMO_H
#define TLSSCOPE_VERDICT_MEMO_H

#include "classify_internal.h"

struct vmemo_hold;

/* Digests of recent keys with the keys (see verdict_memo.c), one per run; NULL-safe free. */
struct vmemo_digests;
struct vmemo_digests *vmemo_digests_new(void);
void vmemo_digests_free(struct vmemo_digests *d);
void vmemo_digests_counts(const struct vmemo_digests *d, uint64_t *out_hits, uint64_t *out_misses);
/* vmemo_key_digest: the SHA-256 of a key (what the classifier's memo is keyed by), from d when
 * it holds these very bytes; d NULL hashes. */
void vmemo_key_digest(struct vmemo_digests *d, const uint8_t *key, size_t len,
                      uint8_t out[CLS_MEMO_KEY_LEN]);

/* Ended holds kept for reuse, one per run; NULL-safe free. A hold returns to the pool it was
 * taken from (vmemo_free). */
struct vmemo_holds;
struct vmemo_holds *vmemo_holds_new(void);
void vmemo_holds_free(struct vmemo_holds *p);

/* vmemo_begin: seg (in direction dir) is the flow's first payload; when it is a ClientHello
 * whose shape can be keyed, it is held in f and a hold (from pool, which may be NULL) is
 * returned; otherwise NULL and nothing is held. */
struct vmemo_hold *vmemo_begin(struct vmemo_holds *pool, struct cls_flow *f, enum cap_dir dir,
                               const struct cap_segment *seg);
/* vmemo_next: the flow's next segment while held. Returns true when the hold is over (h is
 * freed): *final then tells whether classification is final. False: seg was held too. d (may
 * be NULL) saves hashing a key seen just before. */
bool vmemo_next(struct vmemo_hold *h, struct vmemo_digests *d, struct cls_classifier *c,
                struct cls_flow *f, enum cap_dir dir, const struct cap_segment *seg,
                bool *final);
/* vmemo_free: the hold without a decision (the flow ended); held segments stay in f, which
 * gives them to nDPI at cls_flow_finish. */
void vmemo_free(struct vmemo_hold *h);
/* vmemo_mem_bytes: memory h holds now (NULL: 0); the held copies count in the classifier's. */
size_t vmemo_mem_bytes(const struct vmemo_hold *h);

#endif
