/* Flow classification with nDPI 4.2: the only file that includes nDPI.
 *
 * nDPI sees a flow only until it has a final answer. TLS flows are followed a little further
 * (extra dissection) so nDPI can read the certificate and raise its certificate risks; after
 * that, or after CLASSIFY_MAX_PACKETS, its per-flow state (about 1 KB plus buffers in 4.2) is
 * freed and only the protocol name, risk names and JA3 are kept. */
#include <stdlib.h>
#include <string.h>

#include <ndpi/ndpi_api.h>

#include "capture.h"

/* A TLS 1.2 full handshake has shown its certificate (the last thing nDPI's TLS dissector
 * reads) within the first dozen packets; a TLS 1.3 certificate is encrypted, so following the
 * flow further only costs time. */
#define CLASSIFY_MAX_PACKETS 12

struct cap_classifier {
    struct ndpi_detection_module_struct *ndpi;
};

struct cap_class_flow {
    struct ndpi_flow_struct *ndpi_flow; /* NULL once classification is final */
    uint32_t packets;
    bool done;
    char app[CAP_APP_NAME_MAX];
    char ja3[33];
    const char *risks[CAP_MAX_RISKS + 1];
};

struct cap_classifier *cap_classifier_new(GError **error)
{
    struct ndpi_detection_module_struct *m = ndpi_init_detection_module(ndpi_no_prefs);
    if (m == NULL) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "nDPI failed to initialise");
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(m, &all);
    ndpi_finalize_initialization(m);
    struct cap_classifier *c = g_new0(struct cap_classifier, 1);
    c->ndpi = m;
    return c;
}

void cap_classifier_free(struct cap_classifier *c)
{
    if (c == NULL) {
        return;
    }
    ndpi_exit_detection_module(c->ndpi);
    g_free(c);
}

size_t cap_classifier_flow_bytes(void)
{
    return ndpi_detection_get_sizeof_ndpi_flow_struct();
}

struct cap_class_flow *cap_class_flow_new(struct cap_classifier *c)
{
    (void)c;
    struct cap_class_flow *f = g_new0(struct cap_class_flow, 1);
    f->ndpi_flow = calloc(1, ndpi_detection_get_sizeof_ndpi_flow_struct());
    if (f->ndpi_flow == NULL) {
        f->done = true;
    }
    g_strlcpy(f->app, "Unknown", sizeof(f->app));
    return f;
}

static void release(struct cap_class_flow *f)
{
    if (f->ndpi_flow != NULL) {
        ndpi_free_flow_data(f->ndpi_flow);
        free(f->ndpi_flow);
        f->ndpi_flow = NULL;
    }
    f->done = true;
}

/* Keeps what the report needs from nDPI's flow before it is freed. */
static void keep_result(struct cap_classifier *c, struct cap_class_flow *f, ndpi_protocol p)
{
    ndpi_protocol2name(c->ndpi, p, f->app, sizeof(f->app));
    g_strlcpy(f->ja3, f->ndpi_flow->protos.tls_quic.ja3_client, sizeof(f->ja3));
    size_t n = 0;
    for (unsigned r = 1; r < NDPI_MAX_RISK && n < CAP_MAX_RISKS; r++) {
        if (f->ndpi_flow->risk & ((ndpi_risk)1 << r)) {
            f->risks[n++] = ndpi_risk2str((ndpi_risk_enum)r);
        }
    }
    f->risks[n] = NULL;
}

static bool detected(ndpi_protocol p)
{
    return p.master_protocol != NDPI_PROTOCOL_UNKNOWN || p.app_protocol != NDPI_PROTOCOL_UNKNOWN;
}

bool cap_classify_segment(struct cap_classifier *c, struct cap_class_flow *f,
                          const struct cap_segment *seg, bool from_client)
{
    (void)from_client; /* nDPI derives direction from the addresses in the IP header */
    if (f->done) {
        return true;
    }
    if (seg->l3 == NULL || seg->l3_len == 0) {
        return false;
    }
    /* nDPI takes an unsigned short length; a larger (GSO-sized) capture is cut to what it can
     * see, which is more than any classifier needs. */
    unsigned short len = seg->l3_len > 65535 ? 65535 : (unsigned short)seg->l3_len;
    ndpi_protocol p = ndpi_detection_process_packet(c->ndpi, f->ndpi_flow, seg->l3, len,
                                                    (uint64_t)(seg->ts_us / 1000));
    f->packets++;
    if (detected(p) && !ndpi_extra_dissection_possible(c->ndpi, f->ndpi_flow)) {
        keep_result(c, f, p);
        release(f);
        return true;
    }
    if (f->packets >= CLASSIFY_MAX_PACKETS) {
        cap_class_flow_finish(c, f);
        return true;
    }
    return false;
}

void cap_class_flow_finish(struct cap_classifier *c, struct cap_class_flow *f)
{
    if (f->done) {
        return;
    }
    uint8_t guessed = 0;
    ndpi_protocol p = ndpi_detection_giveup(c->ndpi, f->ndpi_flow, 1, &guessed);
    keep_result(c, f, p);
    release(f);
}

void cap_class_flow_free(struct cap_class_flow *f)
{
    if (f == NULL) {
        return;
    }
    release(f);
    g_free(f);
}

const char *cap_class_flow_app(const struct cap_class_flow *f)
{
    return f->app;
}

const char *const *cap_class_flow_risks(const struct cap_class_flow *f)
{
    return f->risks;
}

const char *cap_class_flow_ja3(const struct cap_class_flow *f)
{
    return f->ja3;
}
