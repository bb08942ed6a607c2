/* The wiring of capture -> dissect -> report for one run: packets are decoded, fed to the flow
 * table, whose stream events drive one tls_conn per flow; each finished flow is handed to the
 * reporter with its TLS summary. */
#ifndef TLSSCOPE_CLI_PIPELINE_H
#define TLSSCOPE_CLI_PIPELINE_H

#include "capture.h"
#include "dissect.h"
#include "report.h"
#include "spare_list.h"
#include "verdict_memo.h"

struct pipeline {
    struct cap_flow_table *flows;
    struct cap_classifier *classifier; /* NULL with --no-ndpi */
    struct rpt_ctx *rpt;
    struct tls_config tls_cfg;
    bool verify_checksums;
    bool ndpi_skip_tls; /* --no-ndpi-tls: flows opening with a TLS hello are not given to nDPI */
    bool ndpi_memo;     /* reuse nDPI's verdicts on TLS flows (verdict_memo.h); --no-ndpi-memo */
    struct vmemo_digests *digests; /* digests of recent verdict keys (verdict_memo.h) */
    struct vmemo_holds *holds;     /* ended holds for the next flows (verdict_memo.h) */
    struct cap_spares conn_spares; /* ended connections' TLS states, for the next ones */
    struct cap_spares rec_spares;  /* their framers' record buffers */
    uint64_t pkt_index;
    uint64_t skipped[CAP_SKIP_COUNT];
    int64_t first_ts_us, last_ts_us;
};

/* pipeline_init: the flow table with cfg; rpt and classifier (may be NULL) are borrowed. */
void pipeline_init(struct pipeline *p, const struct cap_flow_config *flow_cfg,
                   const struct tls_config *tls_cfg, struct cap_classifier *classifier,
                   struct rpt_ctx *rpt);
/* pipeline_packet: a cap_packet_fn; user is the struct pipeline. */
void pipeline_packet(void *user, const struct cap_packet *pkt);
/* pipeline_advance: capture time has reached now_us with no packet (an idle live link):
 * flows whose timeouts passed end and are reported. */
void pipeline_advance(struct pipeline *p, int64_t now_us);
/* pipeline_finish: ends every open flow (capture_end), reporting each. */
void pipeline_finish(struct pipeline *p);
void pipeline_cleanup(struct pipeline *p);

#endif
