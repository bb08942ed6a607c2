/* Facts about one finished connection that several parts of the report need the same way: how
 * it closed, which sides closed without close_notify, which alerts were fatal. */
#include <arpa/inet.h>
#include <string.h>

#include "report_internal.h"

const char *rpt_dir_name(int dir)
{
    return dir == CAP_DIR_CLIENT ? "client" : dir == CAP_DIR_SERVER ? "server" : "unknown";
}

const char *rpt_hex(const uint8_t *bytes, size_t len, char *buf, size_t buf_len)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = 0;
    for (size_t i = 0; i < len && n + 2 < buf_len; i++) {
        buf[n++] = digits[bytes[i] >> 4];
        buf[n++] = digits[bytes[i] & 0xf];
    }
    if (buf_len > 0) {
        buf[n] = '\0';
    }
    return buf;
}

/* The time a side first closed (FIN or RST), or INT64_MAX when it never did. */
static int64_t close_ts(const struct cap_dir_stats *d)
{
    int64_t ts = INT64_MAX;
    if (d->fin_seen && d->fin_ts_us < ts) {
        ts = d->fin_ts_us;
    }
    if (d->rst_seen && d->rst_ts_us < ts) {
        ts = d->rst_ts_us;
    }
    return ts;
}

int rpt_closed_by(const struct cap_flow_summary *f)
{
    int64_t c = close_ts(&f->dir[CAP_DIR_CLIENT]);
    int64_t s = close_ts(&f->dir[CAP_DIR_SERVER]);
    if (c == INT64_MAX && s == INT64_MAX) {
        return -1;
    }
    /* On a tie (same packet timestamp) the client is named: it is the usual closer and the
     * choice must be fixed for the output to be deterministic. */
    return c <= s ? CAP_DIR_CLIENT : CAP_DIR_SERVER;
}

const char *rpt_close_kind(const struct cap_flow_summary *f)
{
    int by = rpt_closed_by(f);
    if (by < 0) {
        return "none";
    }
    const struct cap_dir_stats *d = &f->dir[by];
    if (d->rst_seen && (!d->fin_seen || d->rst_ts_us < d->fin_ts_us)) {
        return "rst";
    }
    return "fin";
}

unsigned rpt_unclean_sides(const struct cap_flow_summary *f, const struct tls_summary *t)
{
    if (!t || !t->is_tls) {
        return 0;
    }
    unsigned sides = 0;
    for (int d = 0; d < 2; d++) {
        const struct cap_dir_stats *ds = &f->dir[d];
        if ((ds->fin_seen || ds->rst_seen) && t->dir[d].close_notify == TLS_CN_NO) {
            sides |= 1u << d;
        }
    }
    return sides;
}

const char *rpt_alert_fatal_why(const struct cap_flow_summary *f, const struct tls_summary *t,
                                const struct tls_alert *a)
{
    (void)f;
    (void)t;
    /* The dissector's verdict (dissect/tls_alert_verdict.c) decides; an inferred fatal alert
     * carries the sentence naming its evidence. */
    if (!tls_alert_is_fatal(a)) {
        return NULL;
    }
    return a->verdict != TLS_AV_EXACT ? a->because
           : a->decrypted             ? "fatal alert, decrypted with the key log"
                                      : "plaintext fatal alert";
}

bool rpt_alert_is_fatal(const struct cap_flow_summary *f, const struct tls_summary *t,
                        const struct tls_alert *a)
{
    return rpt_alert_fatal_why(f, t, a) != NULL;
}

/* inet_ntop formats through sprintf, twice per connection, and a capture's connections come
 * from and go to few addresses: the last few formatted are kept, direct-mapped by last byte. */
#define ADDR_CACHE_SLOTS 16

struct addr_text {
    struct cap_addr addr;
    char text[INET6_ADDRSTRLEN];
};

const char *rpt_addr_format(const struct cap_addr *a, char *buf, size_t buf_len)
{
    static struct addr_text cache[ADDR_CACHE_SLOTS];
    struct addr_text *e = &cache[a->bytes[a->family == 6 ? 15 : 3] % ADDR_CACHE_SLOTS];
    if (e->addr.family != a->family || memcmp(e->addr.bytes, a->bytes, sizeof(a->bytes)) != 0) {
        if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, e->text, sizeof(e->text))) {
            g_strlcpy(e->text, "?", sizeof(e->text));
        }
        e->addr.family = a->family;
        memcpy(e->addr.bytes, a->bytes, sizeof(a->bytes));
    }
    g_strlcpy(buf, e->text, buf_len);
    return buf;
}

const char *rpt_endpoint_format(const struct cap_addr *a, uint16_t port, char *buf, size_t buf_len)
{
    char ip[INET6_ADDRSTRLEN];
    rpt_addr_format(a, ip, sizeof(ip));
    g_snprintf(buf, buf_len, a->family == 6 ? "[%s]:%u" : "%s:%u", ip, port);
    return buf;
}

bool rpt_sid_offer_is_filler(const struct rpt_origins *origins, const struct tls_summary *t)
{
    if (t->offered != TLS_OFFER_SESSION_ID || t->session_id_offered_len == 0) {
        return false;
    }
    bool offers_13 = false;
    for (uint32_t i = 0; i < MIN(t->num_client_versions, (uint32_t)TLS_MAX_VERSIONS); i++) {
        offers_13 |= t->client_versions[i] == 0x0304; /* TLS 1.3 */
    }
    return offers_13 && !rpt_origins_get(origins, RPT_ORIGIN_SESSION_ID, t->session_id_offered,
                                         t->session_id_offered_len);
}

bool rpt_conn_wants_unclean(const struct rpt_connection *c, unsigned *out_sides)
{
    const struct tls_summary *t = c->tls;
    if (!t || !t->is_tls) {
        return false;
    }
    if (!(t->handshake == TLS_HS_FULL || t->handshake == TLS_HS_RESUMED || t->midstream)) {
        return false;
    }
    uint32_t na = MIN(t->num_alerts, (uint32_t)TLS_MAX_ALERTS);
    for (uint32_t i = 0; i < na; i++) {
        if (rpt_alert_is_fatal(c->flow, t, &t->alerts[i])) {
            return false;
        }
    }
    unsigned sides = rpt_unclean_sides(c->flow, t);
    *out_sides = sides;
    return sides != 0;
}

bool rpt_conn_is_probe(const struct rpt_connection *c)
{
    const struct tls_summary *t = c->tls;
    const struct cap_flow_summary *fl = c->flow;
    if (!t || !t->is_tls || !(t->handshake == TLS_HS_FULL || t->handshake == TLS_HS_RESUMED) ||
        rpt_first_fatal_alert(fl, t) != NULL) {
        return false;
    }
    const struct cap_dir_stats *cl = &fl->dir[CAP_DIR_CLIENT];
    const struct cap_dir_stats *sv = &fl->dir[CAP_DIR_SERVER];
    if (!cl->fin_seen && !cl->rst_seen && !sv->fin_seen && !sv->rst_seen) {
        return false; /* still open when the capture ended */
    }
    /* In TLS 1.3 the client's Finished, its encrypted alerts and the server's tickets are all
     * application data records on the wire: the client sent no data of its own when its
     * records after the ServerHello are its Finished and its alerts. */
    uint32_t na = MIN(t->num_alerts, (uint32_t)TLS_MAX_ALERTS);
    uint64_t client_alerts = 0;
    const struct tls_alert *first = NULL;
    for (uint32_t i = 0; i < na; i++) {
        if (t->alerts[i].from == CAP_DIR_CLIENT) {
            client_alerts += t->alerts[i].encrypted;
            first = first ? first : &t->alerts[i];
        }
    }
    bool tls13 = t->version == 0x0304;
    bool no_client_data = tls13 ? t->dir[CAP_DIR_CLIENT].app_data_records <= 1 + client_alerts
                                : t->dir[CAP_DIR_CLIENT].app_data_records == 0 &&
                                      t->dir[CAP_DIR_SERVER].app_data_records == 0;
    if (first) {
        return tls_alert_is_close_notify(first) && (first->before_app_data || no_client_data);
    }
    return t->version != 0 && no_client_data;
}

bool rpt_conn_failed(const struct rpt_connection *c)
{
    const struct tls_summary *t = c->tls;
    if (!t || !t->is_tls) {
        return false;
    }
    return t->handshake == TLS_HS_FAILED || t->other_answer ||
           rpt_first_fatal_alert(c->flow, t) != NULL;
}

bool rpt_conn_uncertain(const struct rpt_connection *c)
{
    const struct tls_summary *t = c->tls;
    if (!t || !t->is_tls || rpt_conn_failed(c)) {
        return false;
    }
    uint32_t na = MIN(t->num_alerts, (uint32_t)TLS_MAX_ALERTS);
    for (uint32_t i = 0; i < na; i++) {
        if (t->alerts[i].verdict == TLS_AV_UNKNOWN) {
            return true;
        }
    }
    return false;
}

const struct tls_alert *rpt_first_fatal_alert(const struct cap_flow_summary *fl,
                                              const struct tls_summary *t)
{
    if (!t || !t->is_tls) {
        return NULL;
    }
    uint32_t na = MIN(t->num_alerts, (uint32_t)TLS_MAX_ALERTS);
    for (uint32_t i = 0; i < na; i++) {
        if (rpt_alert_is_fatal(fl, t, &t->alerts[i])) {
            return &t->alerts[i];
        }
    }
    return NULL;
}
