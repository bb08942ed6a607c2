/* Stream events from the flow table drive one tls_conn (and, unless --no-ndpi, one nDPI
 * classification) per flow. This is the only place where capture's, dissect's and report's
 * types meet. */
#include <string.h>

#include "pipeline.h"
#include "verdict_memo.h"

/* What the pipeline keeps per flow, hung on the flow's user pointer. The dissector and the
 * classifier are made when the first payload arrives, so a flood of SYNs (or a scan) costs the
 * flow table's entry and this, nothing more. */
struct flow_ctx {
    struct tls_conn *tls;       /* NULL until the first stream byte or gap */
    struct cap_class_flow *cls; /* NULL until the first payload, and with --no-ndpi */
    struct vmemo_hold *memo;    /* while the first segments are held back from nDPI */
    bool cls_done;
};

/* Tells the flow table what this flow's state holds now, so --max-memory counts it. */
static void charge(struct cap_flow *flow, const struct flow_ctx *ctx)
{
    cap_flow_set_consumer_bytes(flow, (ctx->tls ? tls_conn_mem_bytes(ctx->tls) : 0) +
                                          cap_class_flow_mem_bytes(ctx->cls) +
                                          vmemo_mem_bytes(ctx->memo));
}

/* The flow_ctx lives in the flow's user area (pipeline_events.user_bytes), so it is
 * allocated, prefetched and freed with the flow. */
static void on_open(void *user, struct cap_flow *flow)
{
    (void)user;
    charge(flow, cap_flow_get_user(flow));
}

static struct tls_conn *flow_tls(struct pipeline *p, struct flow_ctx *ctx)
{
    if (ctx->tls == NULL) {
        ctx->tls = tls_conn_new(&p->tls_cfg);
    }
    return ctx->tls;
}

static void classify(struct pipeline *p, struct flow_ctx *ctx, enum cap_dir dir,
                     const struct cap_segment *seg)
{
    if (ctx->cls == NULL) {
        if (seg->payload_len == 0) {
            return;
        }
        /* --no-ndpi-tls: a flow whose first payload is a TLS hello is analysed by the dissector
         * alone; nDPI's hello processing is most of its cost on such flows. */
        if (p->ndpi_skip_tls && tls_opens_with_hello(seg->payload, seg->payload_len)) {
            ctx->cls_done = true;
            return;
        }
        ctx->cls = cap_class_flow_new(p->classifier);
        if (p->ndpi_memo) {
            ctx->memo = vmemo_begin(p->holds, ctx->cls, dir, seg);
            if (ctx->memo != NULL) {
                return;
            }
        }
    } else if (ctx->memo != NULL) {
        if (vmemo_next(ctx->memo, p->digests, p->classifier, ctx->cls, dir, seg, &ctx->cls_done)) {
            ctx->memo = NULL;
        }
        return;
    }
    ctx->cls_done = cap_classify_segment(p->classifier, ctx->cls, seg, dir == CAP_DIR_CLIENT);
}

static void on_segment(void *user, struct cap_flow *flow, enum cap_dir dir,
                       const struct cap_segment *seg)
{
    struct pipeline *p = user;
    struct flow_ctx *ctx = cap_flow_get_user(flow);
    if (seg->payload_len > 0) {
        /* The segment is reassembled next: its bytes reach the dissector in a moment. */
        tls_conn_prefetch_data(ctx->tls, dir);
    }
    if (p->classifier == NULL || ctx->cls_done) {
        return;
    }
    classify(p, ctx, dir, seg);
    charge(flow, ctx);
}

/* Without a SYN capture guesses roles from ports; a ClientHello settles them. */
static void settle_roles(struct cap_flow *flow, struct tls_conn *conn)
{
    enum cap_dir hello_dir;
    /* The hello's direction first: it is known without building the flow's summary, and a
     * hello from the server's side is rare. */
    if (tls_conn_client_hello_dir(conn, &hello_dir) && hello_dir == CAP_DIR_SERVER &&
        cap_flow_get_summary(flow)->roles == CAP_ROLE_PORT &&
        cap_flow_set_client(flow, CAP_DIR_SERVER)) {
        tls_conn_swap_dirs(conn);
    }
}

static void on_data(void *user, struct cap_flow *flow, enum cap_dir dir, uint64_t offset,
                    const uint8_t *data, size_t len, int64_t ts_us)
{
    struct flow_ctx *ctx = cap_flow_get_user(flow);
    if (!tls_conn_wants_data(flow_tls(user, ctx))) {
        return;
    }
    tls_conn_data(ctx->tls, dir, offset, data, len, ts_us);
    settle_roles(flow, ctx->tls);
    charge(flow, ctx);
}

static void on_gap(void *user, struct cap_flow *flow, enum cap_dir dir, const struct cap_gap *gap)
{
    struct flow_ctx *ctx = cap_flow_get_user(flow);
    tls_conn_gap(flow_tls(user, ctx), dir, gap->offset, gap->len, gap->ts_us);
    charge(flow, ctx);
}

static void on_close(void *user, struct cap_flow *flow)
{
    struct pipeline *p = user;
    struct flow_ctx *ctx = cap_flow_get_user(flow);
    const struct cap_flow_summary *fs = cap_flow_get_summary(flow);
    struct rpt_connection rc = {.flow = fs};
    /* The connection's state came in with the previous end (on_ending_soon); what it points to
     * is fetched now, while it is finished, for the record written after. */
    tls_conn_prefetch_summary(ctx->tls);
    if (ctx->tls != NULL) {
        tls_conn_finish(ctx->tls, fs);
        rc.tls = tls_conn_get_summary(ctx->tls);
        if (rc.tls->starttls[0]) {
            rc.starttls = rc.tls->starttls;
            rc.starttls_offset = rc.tls->starttls_offset[CAP_DIR_CLIENT];
            rc.starttls_server_offset = rc.tls->starttls_offset[CAP_DIR_SERVER];
        }
    }
    if (ctx->cls != NULL) {
        vmemo_free(ctx->memo);
        ctx->memo = NULL;
        cap_class_flow_finish(p->classifier, ctx->cls);
        rc.app = cap_class_flow_app(ctx->cls);
        rc.ndpi_risks = cap_class_flow_risks(ctx->cls);
        rc.ndpi_ja3 = cap_class_flow_ja3(ctx->cls);
    }
    rpt_add_connection(p->rpt, &rc);
    tls_conn_free(ctx->tls);
    cap_class_flow_free(ctx->cls);
}

static void on_closed(void *user, struct cap_flow *flow)
{
    (void)user;
    struct flow_ctx *ctx = cap_flow_get_user(flow);
    if (ctx->tls != NULL) {
        tls_conn_trim(ctx->tls);
        charge(flow, ctx);
    }
}

static void on_ending_soon(void *user, struct cap_flow *flow)
{
    (void)user;
    const struct flow_ctx *ctx = cap_flow_get_user(flow);
    tls_conn_prefetch(ctx->tls);
    cap_class_flow_prefetch(ctx->cls);
}

static const struct cap_stream_events pipeline_events = {
    .on_open = on_open,
    .on_data = on_data,
    .on_gap = on_gap,
    .on_close = on_close,
    .on_segment = on_segment,
    .on_closed = on_closed,
    .on_ending_soon = on_ending_soon,
    .user_bytes = sizeof(struct flow_ctx),
};

void pipeline_init(struct pipeline *p, const struct cap_flow_config *flow_cfg,
                   const struct tls_config *tls_cfg, struct cap_classifier *classifier,
                   struct rpt_ctx *rpt)
{
    memset(p, 0, sizeof(*p));
    p->rpt = rpt;
    p->classifier = classifier;
    p->tls_cfg = *tls_cfg;
    /* Every connection of the run shares one memo of hello fingerprints. */
    p->tls_cfg.fp_memo = tls_fp_memo_new();
    /* About 4 MB at most; past the ends of a burst of connections they go back to malloc. */
    tls_conn_spares_init(&p->conn_spares, 1024);
    p->tls_cfg.conn_spares = &p->conn_spares;
    /* 1 MB at most. */
    tls_rec_spares_init(&p->rec_spares, 256);
    p->tls_cfg.rec_spares = &p->rec_spares;
    p->digests = vmemo_digests_new();
    p->holds = vmemo_holds_new();
    p->verify_checksums = flow_cfg->verify_checksums;
    p->ndpi_memo = true;
    p->flows = cap_flow_table_new(flow_cfg, &pipeline_events, p);
}

void pipeline_packet(void *user, const struct cap_packet *pkt)
{
    struct pipeline *p = user;
    enum cap_skip_reason why;

    /* Frame numbers count every packet read, decoded or not, as tshark's frame.number does. */
    p->pkt_index++;
    /* cap_decode leaves these two as given and writes every other field (so no initialiser:
     * zeroing the segment here as well cost a second block store per packet). */
    struct cap_segment seg;
    seg.ts_us = pkt->ts_us;
    seg.pkt_index = p->pkt_index;
    if (p->pkt_index == 1 || pkt->ts_us < p->first_ts_us) {
        p->first_ts_us = pkt->ts_us;
    }
    if (p->pkt_index == 1 || pkt->ts_us > p->last_ts_us) {
        p->last_ts_us = pkt->ts_us;
    }
    if (!cap_decode(pkt->linktype, pkt->data, pkt->caplen, p->verify_checksums, &seg, &why)) {
        p->skipped[why]++;
        return;
    }
    cap_flow_table_add(p->flows, &seg);
}

void pipeline_advance(struct pipeline *p, int64_t now_us)
{
    cap_flow_table_advance(p->flows, now_us);
}

void pipeline_finish(struct pipeline *p)
{
    cap_flow_table_finish(p->flows);
}

void pipeline_cleanup(struct pipeline *p)
{
    cap_flow_table_free(p->flows);
    p->flows = NULL;
    tls_fp_memo_free(p->tls_cfg.fp_memo);
    p->tls_cfg.fp_memo = NULL;
    cap_spares_cleanup(&p->conn_spares);
    p->tls_cfg.conn_spares = NULL;
    cap_spares_cleanup(&p->rec_spares);
    p->tls_cfg.rec_spares = NULL;
    vmemo_digests_free(p->digests);
    p->digests = NULL;
    vmemo_holds_free(p->holds);
    p->holds = NULL;
}
