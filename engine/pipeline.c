/* The engine (engine.h): stream events from the flow table drive one tls_conn (and, unless
 * --no-ndpi, one classification) per flow; each flow that ends goes to the reporter. */
#include <string.h>

#include "capture_hints.h"
#include "classify_hints.h"
#include "dissect_hints.h"
#include "engine.h"

struct engine {
    struct cap_flow_table *flows;
    struct cls_classifier *classifier; /* NULL with --no-ndpi, or when nDPI failed */
    struct rpt_ctx *rpt;
    eng_connection_fn on_connection;
    void *user;
    struct tls_config tls_cfg;
    bool verify_checksums;
    uint64_t pkt_index;
    uint64_t skipped[CAP_SKIP_COUNT];
    int64_t first_ts_us, last_ts_us;
};

/* What the pipeline keeps per flow, hung on the flow's user pointer. The dissector and the
 * classifier are made when the first payload arrives, so a flood of SYNs (or a scan) costs the
 * flow table's entry and this, nothing more. */
struct flow_ctx {
    struct tls_conn *tls; /* NULL until the first stream byte or gap */
    struct cls_slot cls;  /* empty until the first payload, and with --no-ndpi */
};

/* Tells the flow table what this flow's state holds now, so --max-memory counts it. */
static void charge(struct cap_flow *flow, const struct flow_ctx *ctx)
{
    cap_flow_set_consumer_bytes(flow, (ctx->tls ? tls_conn_mem_bytes(ctx->tls) : 0) +
                                          cls_slot_mem_bytes(&ctx->cls));
}

/* The flow_ctx lives in the flow's user area (pipeline_events.user_bytes), so it is
 * allocated, prefetched and freed with the flow. */
static void on_open(void *user, struct cap_flow *flow)
{
    (void)user;
    charge(flow, cap_flow_get_user(flow));
}

static struct tls_conn *flow_tls(struct engine *p, struct flow_ctx *ctx)
{
    if (ctx->tls == NULL) {
        ctx->tls = tls_conn_new(&p->tls_cfg);
    }
    return ctx->tls;
}

static void on_segment(void *user, struct cap_flow *flow, enum cap_dir dir,
                       const struct cap_segment *seg)
{
    struct engine *p = user;
    struct flow_ctx *ctx = cap_flow_get_user(flow);
    if (seg->payload_len > 0) {
        /* The segment is reassembled next: its bytes reach the dissector in a moment. */
        tls_conn_prefetch_data(ctx->tls, dir);
    }
    if (p->classifier == NULL || ctx->cls.done) {
        return;
    }
    cls_slot_segment(p->classifier, &ctx->cls, dir, seg);
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
    /* What each side had acknowledged of the other when these bytes went out: the evidence an
     * encrypted alert's verdict weighs (had its sender received all its peer sent?). */
    enum cap_dir peer = dir == CAP_DIR_CLIENT ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
    uint64_t acked;
    if (cap_flow_acked(flow, peer, &acked)) {
        tls_conn_peer_acked(ctx->tls, peer, acked);
    }
    if (cap_flow_acked(flow, dir, &acked)) {
        tls_conn_peer_acked(ctx->tls, dir, acked);
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
    struct engine *p = user;
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
    struct cls_result cr;
    if (p->classifier != NULL && cls_slot_finish(p->classifier, &ctx->cls, &cr)) {
        rc.app = cr.app;
        rc.ndpi_risks = cr.risks;
        rc.ndpi_ja3 = cr.ja3;
    }
    if (p->rpt != NULL) {
        rpt_add_connection(p->rpt, &rc);
    }
    if (p->on_connection != NULL) {
        p->on_connection(p->user, &rc);
    }
    tls_conn_free(ctx->tls);
    cls_slot_release(&ctx->cls);
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
    cls_flow_prefetch(ctx->cls.flow);
}

static const struct cap_stream_events pipeline_events = {
    .on_open = on_open,
    .on_data = on_data,
    .on_gap = on_gap,
    .on_close = on_close,
    .on_segment = on_segment,
    .on_closed = on_closed,
    .user_bytes = sizeof(struct flow_ctx),
};

void eng_options_defaults(struct eng_options *o)
{
    *o = (struct eng_options){0};
    cap_flow_config_defaults(&o->flow);
    tls_config_defaults(&o->tls);
    o->ndpi = true;
    cls_options_defaults(&o->cls);
}

struct engine *eng_new(const struct eng_options *o, struct rpt_ctx *rpt,
                       eng_connection_fn on_connection, void *user, GError **warning)
{
    struct engine *p = g_new0(struct engine, 1);
    p->rpt = rpt;
    p->on_connection = on_connection;
    p->user = user;
    if (o->ndpi) {
        p->classifier = cls_classifier_new(&o->cls, warning);
    }
    p->tls_cfg = o->tls;
    /* Every connection of the run shares one set of memos and spare blocks. */
    p->tls_cfg.shared = tls_shared_new();
    if (o->keylog) {
        tls_shared_set_keylog(p->tls_cfg.shared, o->keylog);
    }
    p->verify_checksums = o->flow.verify_checksums;
    p->flows = cap_flow_table_new(&o->flow, &pipeline_events, p);
    cap_flow_table_set_hints(p->flows,
                             &(struct cap_stream_hints){.on_ending_soon = on_ending_soon});
    return p;
}

void eng_packet(void *user, const struct cap_packet *pkt)
{
    struct engine *p = user;
    enum cap_skip_reason why;

    /* Frame numbers count every packet read, decoded or not, as tshark's frame.number does. */
    p->pkt_index++;
    /* cap_decode leaves these two as given and writes every other field (no initialiser: it
     * would store the whole segment a second time per packet). */
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

void eng_advance(struct engine *e, int64_t now_us)
{
    cap_flow_table_advance(e->flows, now_us);
}

void eng_finish(struct engine *e)
{
    cap_flow_table_finish(e->flows);
}

bool eng_read_all(struct engine *e, struct cap_source *src, GError **error)
{
    enum cap_source_status st;
    while ((st = cap_source_dispatch(src, 0, eng_packet, e, error)) == CAP_SOURCE_OK) {
    }
    eng_finish(e);
    return st != CAP_SOURCE_ERROR;
}

uint64_t eng_packets(const struct engine *e)
{
    return e->pkt_index;
}

int64_t eng_first_ts_us(const struct engine *e)
{
    return e->first_ts_us;
}

void eng_capture_info(const struct engine *e, struct cap_source *src, struct eng_capture_info *out)
{
    memset(out, 0, sizeof(*out));
    if (src != NULL) {
        cap_source_get_stats(src, &out->source);
        out->info.source = &out->source;
    }
    cap_flow_table_get_stats(e->flows, &out->table);
    out->info.table = &out->table;
    if (e->classifier != NULL) {
        cls_classifier_get_stats(e->classifier, &out->classification);
        out->info.classification = &out->classification;
    }
    out->info.first_ts_us = e->first_ts_us;
    out->info.last_ts_us = e->last_ts_us;
    memcpy(out->info.skipped, e->skipped, sizeof(out->info.skipped));
}

void eng_free(struct engine *e)
{
    if (e == NULL) {
        return;
    }
    cap_flow_table_free(e->flows);
    /* After the flows: their connections' states go back to the shared spare lists. */
    tls_shared_free(e->tls_cfg.shared);
    cls_classifier_free(e->classifier);
    g_free(e);
}
