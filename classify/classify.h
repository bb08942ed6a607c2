/* classify: which application protocol a flow carries, as nDPI tells it (nDPI 4.2, included
 * only by classify/classify.c), with the verdict memo that lets TLS flows which look to nDPI
 * exactly like one it has read take its verdict without nDPI reading them (verdict_memo.h), and
 * the TLS hello shapes the memo's keys are made of. It sits above dissect (the shapes read TLS
 * records) and below report, which prints the verdicts and the memo's counters. */
#ifndef TLSSCOPE_CLASSIFY_H
#define TLSSCOPE_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "capture.h"
#include "dissect.h"

/* nDPI (4.2) sees each flow only until it has classified it; then its per-flow state is freed,
 * so its cost does not grow with the length of the flow. Only classify/classify.c includes nDPI. */
#define CLS_APP_NAME_MAX 64
#define CLS_MAX_RISKS 16

struct cls_classifier;
struct cls_flow;
struct vmemo_hold;

struct cls_options {
    bool skip_tls; /* --no-ndpi-tls: flows that open with a TLS hello are not given to nDPI */
    bool memo;     /* reuse nDPI's verdicts on TLS flows (verdict_memo.h); --no-ndpi-memo clears */
};
void cls_options_defaults(struct cls_options *o);

/* cls_classifier_new: with options o (NULL: the defaults); NULL with error when nDPI cannot
 * initialise. */
struct cls_classifier *cls_classifier_new(const struct cls_options *o, GError **error);
void cls_classifier_free(struct cls_classifier *c);

struct cls_stats {
    uint64_t flows;      /* flows given to the classifier */
    uint64_t memo_hits;  /* of those, verdicts reused without nDPI reading the flow */
    uint64_t memo_saved; /* verdicts remembered */
};
void cls_classifier_get_stats(const struct cls_classifier *c, struct cls_stats *out);

/* One flow's classification as its owner keeps it (zeroed at the start): the nDPI flow, made at
 * the first payload, the verdict memo's hold while its first segments are held back, and
 * whether classification is final. */
struct cls_slot {
    struct cls_flow *flow;
    struct vmemo_hold *hold;
    bool done;
};

/* cls_slot_segment: feeds one segment of the flow (dir: its sender) to nDPI, or to the verdict
 * memo while the flow's first segments are held. Returns true once classification is final
 * (nDPI's per-flow state is released then; later segments are not looked at). */
bool cls_slot_segment(struct cls_classifier *c, struct cls_slot *s, enum cap_dir dir,
                      const struct cap_segment *seg);
/* cls_slot_mem_bytes: memory the slot holds now (O(1)). */
size_t cls_slot_mem_bytes(const struct cls_slot *s);

struct cls_result {
    const char *app;          /* nDPI's protocol name ("TLS", "HTTP", "TLS.Google", "Unknown") */
    const char *const *risks; /* NULL-terminated risk names ("TLS Obsolete Version", ...) */
    const char *ja3;          /* nDPI's JA3 client hash, "" when none */
};
/* cls_slot_finish: the flow ended: an unclassified flow gets nDPI's guess. Returns false when the
 * flow never reached nDPI (no payload, or skip_tls); otherwise *out, valid until
 * cls_slot_release. */
bool cls_slot_finish(struct cls_classifier *c, struct cls_slot *s, struct cls_result *out);
/* cls_slot_release: frees what the slot holds and zeroes it. */
void cls_slot_release(struct cls_slot *s);

#endif
