/* Internal to classify/ and its tests: one flow's classifier state and the verdict memo's
 * primitives (holding segments, the context a key needs, adopting and saving verdicts). */
#ifndef TLSSCOPE_CLASSIFY_INTERNAL_H
#define TLSSCOPE_CLASSIFY_INTERNAL_H

#include "classify.h"

struct cls_flow *cls_flow_new(struct cls_classifier *c);
void cls_flow_free(struct cls_flow *f);
/* cls_flow_mem_bytes: memory f holds now: its own struct, nDPI's flow state while nDPI
 * reads the flow (the struct; the few strings nDPI duplicates into it are not counted) and the
 * copies of held segments. O(1). */
size_t cls_flow_mem_bytes(const struct cls_flow *f);
/* cls_classify_segment: feeds one segment of the flow (from_client: sent by the client). Returns
 * true once classification is final (and nDPI's per-flow state has been released). */
bool cls_classify_segment(struct cls_classifier *c, struct cls_flow *f,
                          const struct cap_segment *seg, bool from_client);
/* cls_flow_finish: gives up on an unclassified flow (nDPI's guess) and releases state. */
void cls_flow_finish(struct cls_classifier *c, struct cls_flow *f);
/* cls_flow_app: nDPI's protocol name ("TLS", "HTTP", "TLS.Google", "Unknown"). */
const char *cls_flow_app(const struct cls_flow *f);
/* cls_flow_risks: NULL-terminated risk names ("TLS Obsolete Version", ...). */
const char *const *cls_flow_risks(const struct cls_flow *f);
/* cls_flow_ja3: nDPI's JA3 client hash, "" when none. */
const char *cls_flow_ja3(const struct cls_flow *f);
/* cls_classifier_flow_bytes: bytes nDPI allocates per flow while classifying. */
size_t cls_classifier_flow_bytes(void);

/* Remembered verdicts. nDPI's verdict on a TLS flow is a function of the segments it reads and
 * of a little context (addresses and ports as nDPI's IP and port tables see them, nDPI's
 * certificate cache for the server); its hello parsing is most of tlsscope's time on short
 * connections. verdict_memo.c holds a flow's first segments (cls_flow_hold), builds a key
 * from their TLS shape (cls_shape_append) and this context (cls_classify_context), and either
 * adopts a verdict remembered under that key or feeds the held segments to nDPI and, when nDPI
 * has finished with them, remembers its verdict. */
#define CLS_MEMO_KEY_LEN 32
#define CLS_MEMO_ENTRIES 4096
#define CLS_HOLD_MAX 8

struct cls_verdict {
    char app[CLS_APP_NAME_MAX];
    char ja3[33];
    const char *risks[CLS_MAX_RISKS + 1]; /* nDPI's static names, NULL-terminated */
    /* The first certificate's validity as nDPI parsed it (0 when it read none), and where the
     * time it read it fell (a verdict is reused only for a time that falls the same way). */
    uint32_t not_before, not_after;
    uint8_t time_class;
};

/* cls_flow_hold: keeps a copy of seg for nDPI to read later, in order, before any segment
 * given to cls_classify_segment or at cls_flow_finish. False (nothing kept) when
 * CLS_HOLD_MAX segments are held already, the segment is over 16 KiB, or the classifier's
 * flows hold 8 MiB in all. */
bool cls_flow_hold(struct cls_flow *f, const struct cap_segment *seg);
/* cls_flow_feed_held: gives nDPI the held segments now. Returns true when classification
 * is final. */
bool cls_flow_feed_held(struct cls_classifier *c, struct cls_flow *f);
/* cls_classify_context: appends to out what, besides the segments' bytes, nDPI's verdict on a TCP
 * flow depends on. seg is the flow's first segment given to nDPI; its sender is the side nDPI
 * takes for the client. */
void cls_classify_context(struct cls_classifier *c, const struct cap_segment *seg, GByteArray *out);
/* cls_classify_port_is_keyed: a client port cls_classify_context puts in the key as it is (one
 * nDPI could read); other client ports count as one. */
bool cls_classify_port_is_keyed(const struct cls_classifier *c, uint16_t port);
/* cls_classify_memo_adopt: when a verdict is remembered under key (and, for a flow whose
 * certificate nDPI read, ts_us falls in the certificate's validity as it did for the flow the
 * verdict came from), the flow takes it, its held segments are dropped and true is returned.
 * ts_us: the time of the segment that completed the key. */
bool cls_classify_memo_adopt(struct cls_classifier *c, struct cls_flow *f,
                             const uint8_t key[CLS_MEMO_KEY_LEN], int64_t ts_us);
/* cls_classify_memo_save: remembers f's verdict under key (f's classification must be final,
 * made by nDPI reading segments up to one at ts_us). */
void cls_classify_memo_save(struct cls_classifier *c, const struct cls_flow *f,
                            const uint8_t key[CLS_MEMO_KEY_LEN], int64_t ts_us);

/* ------------------------------------------------------------------ hello shapes */

/* cls_shape_append: appends to out the shape of one segment's payload: its TLS bytes with the
 * per-connection values of hellos (randoms, session IDs, key shares, PSK identities and binders,
 * tickets, cookies) zeroed and other handshake messages reduced to type and length, but a
 * Certificate kept whole. *st is the direction's state, zeroed at the start: after_ccs tracks
 * when handshake records become ciphertext (kept as it is), certificate that a plaintext
 * Certificate was seen. False when the payload is not TLS records or a plaintext handshake
 * record continues into the next segment. */
struct cls_shape_dir {
    bool after_ccs;
    bool certificate;
};
bool cls_shape_append(const uint8_t *data, size_t len, struct cls_shape_dir *st, GByteArray *out);

#endif
