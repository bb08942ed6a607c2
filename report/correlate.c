/* Cross-connection state: per-server aggregates with full-handshake rates, and feeding the
 * session origin table (origins.c) as connections end. Both are bounded or grow only with
 * distinct servers and seconds, never with connections. */
#include <string.h>

#include "report_internal.h"

/* ------------------------------------------------------------------ servers */

struct server_key {
    struct cap_addr ip;
    uint16_t port;
};

struct rpt_servers {
    GHashTable *by_key; /* struct server_key * (owned) -> struct rpt_server * (owned) */
    /* The server last looked up: one connection asks for its server several times, and
     * consecutive connections often share one. */
    struct server_key last_key;
    struct rpt_server *last;
    uint32_t max; /* servers tracked at most; connections to others are only counted */
    uint64_t untracked_connections;
};

static guint server_hash(gconstpointer p)
{
    const struct server_key *k = p;
    guint h = 2166136261u ^ k->ip.family;
    for (unsigned i = 0; i < sizeof(k->ip.bytes); i++) {
        h = (h ^ k->ip.bytes[i]) * 16777619u;
    }
    return (h ^ k->port) * 16777619u;
}

static gboolean server_equal(gconstpointer a, gconstpointer b)
{
    const struct server_key *x = a, *y = b;
    return x->port == y->port && x->ip.family == y->ip.family &&
           memcmp(x->ip.bytes, y->ip.bytes, sizeof(x->ip.bytes)) == 0;
}

static void server_free(gpointer p)
{
    struct rpt_server *s = p;
    for (uint32_t i = 0; i < s->num_sni; i++) {
        g_free(s->sni[i]);
    }
    g_array_free(s->unclean_conns, TRUE);
    g_array_free(s->reset_conns, TRUE);
    if (s->handshake_only_conns) {
        g_array_free(s->handshake_only_conns, TRUE);
    }
    if (s->hs_per_second) {
        g_hash_table_destroy(s->hs_per_second);
    }
    g_free(s);
}

struct rpt_servers *rpt_servers_new(uint32_t max_servers)
{
    struct rpt_servers *s = g_new0(struct rpt_servers, 1);
    s->max = max_servers;
    s->by_key = g_hash_table_new_full(server_hash, server_equal, g_free, server_free);
    return s;
}

void rpt_servers_free(struct rpt_servers *s)
{
    if (!s) {
        return;
    }
    g_hash_table_destroy(s->by_key);
    g_free(s);
}

struct rpt_server *rpt_servers_get(struct rpt_servers *s, const struct cap_addr *ip, uint16_t port)
{
    struct server_key k;
    memset(&k, 0, sizeof(k));
    k.ip.family = ip->family;
    memcpy(k.ip.bytes, ip->bytes, sizeof(k.ip.bytes));
    k.port = port;
    if (s->last != NULL && server_equal(&k, &s->last_key)) {
        return s->last;
    }
    struct rpt_server *srv = g_hash_table_lookup(s->by_key, &k);
    if (srv) {
        s->last = srv;
        s->last_key = k;
        return srv;
    }
    /* A scan through the monitored link meets a new server per packet: past the cap, servers
     * are not tracked (the first ones seen keep their aggregates; the rest are counted). */
    if (s->max && g_hash_table_size(s->by_key) >= s->max) {
        return NULL;
    }
    srv = g_new0(struct rpt_server, 1);
    srv->ip = k.ip;
    srv->port = port;
    srv->unclean_conns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    srv->reset_conns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    g_hash_table_insert(s->by_key, g_memdup2(&k, sizeof(k)), srv);
    s->last = srv;
    s->last_key = k;
    return srv;
}

static gint server_cmp(gconstpointer a, gconstpointer b)
{
    const struct rpt_server *x = *(const struct rpt_server *const *)a;
    const struct rpt_server *y = *(const struct rpt_server *const *)b;
    if (x->ip.family != y->ip.family) {
        return x->ip.family < y->ip.family ? -1 : 1;
    }
    int c = memcmp(x->ip.bytes, y->ip.bytes, sizeof(x->ip.bytes));
    if (c != 0) {
        return c;
    }
    return (x->port > y->port) - (x->port < y->port);
}

GPtrArray *rpt_servers_sorted(struct rpt_servers *s)
{
    GPtrArray *out = g_ptr_array_new();
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, s->by_key);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        g_ptr_array_add(out, v);
    }
    g_ptr_array_sort(out, server_cmp);
    return out;
}

size_t rpt_servers_count(const struct rpt_servers *s)
{
    return g_hash_table_size(s->by_key);
}

uint64_t rpt_servers_untracked(const struct rpt_servers *s)
{
    return s->untracked_connections;
}

double rpt_server_rate_mean(const struct rpt_server *s)
{
    if (s->full_handshakes == 0) {
        return 0.0;
    }
    int64_t span = s->hs_last_us - s->hs_first_us;
    if (span < 1000000) {
        span = 1000000;
    }
    return (double)s->full_handshakes * 1e6 / (double)span;
}

/* ------------------------------------------------------------------ feeding */

static void add_sni(struct rpt_server *s, const char *sni)
{
    if (!sni[0]) {
        return;
    }
    for (uint32_t i = 0; i < s->num_sni; i++) {
        if (strcmp(s->sni[i], sni) == 0) {
            return;
        }
    }
    if (s->num_sni == RPT_SERVER_MAX_SNI) {
        s->sni_truncated = true;
        return;
    }
    s->sni[s->num_sni++] = g_strndup(sni, TLS_MAX_SNI);
}

static void count_handshake(struct rpt_server *s, int64_t ts_us)
{
    if (s->full_handshakes == 0) {
        s->hs_first_us = s->hs_last_us = ts_us;
    }
    s->full_handshakes++;
    s->hs_first_us = MIN(s->hs_first_us, ts_us);
    s->hs_last_us = MAX(s->hs_last_us, ts_us);
    int64_t sec = ts_us >= 0 ? ts_us / 1000000 : -((-ts_us + 999999) / 1000000);
    gpointer key = GSIZE_TO_POINTER((gsize)sec);
    if (!s->hs_per_second) {
        /* Keys are whole seconds cast to pointers: 64-bit pointers hold any capture second.
         * Made on the first full handshake: most servers of a scan never get one. */
        s->hs_per_second = g_hash_table_new(g_direct_hash, g_direct_equal);
    }
    uint64_t n = GPOINTER_TO_SIZE(g_hash_table_lookup(s->hs_per_second, key)) + 1;
    g_hash_table_insert(s->hs_per_second, key, GSIZE_TO_POINTER((gsize)n));
    /* Ties keep the earliest second so the reported peak time does not depend on the order in
     * which connections ended. */
    if (n > s->hs_peak || (n == s->hs_peak && sec < s->hs_peak_second)) {
        s->hs_peak = n;
        s->hs_peak_second = sec;
    }
}

/* The keys a TLS connection's origin is remembered under. */
struct origin_keys {
    unsigned n;
    enum rpt_origin_kind kind[3];
    const uint8_t *key[3];
    size_t len[3];
};

static void add_key(struct origin_keys *k, enum rpt_origin_kind kind, const void *key, size_t len)
{
    k->kind[k->n] = kind;
    k->key[k->n] = key;
    k->len[k->n] = len;
    k->n++;
}

static void origin_keys(const struct tls_summary *t, struct origin_keys *out)
{
    out->n = 0;
    if (t->handshake != TLS_HS_FULL && t->handshake != TLS_HS_RESUMED) {
        return; /* a failed handshake leaves no session to resume */
    }
    /* TLS 1.3 servers echo the client's legacy_session_id (RFC 8446 §4.1.3): it names no
     * session. Below 1.3 the server's ID is the session, whether new or resumed: a resumed
     * session that then closes uncleanly is invalidated just the same, so the newest user wins. */
    if (t->version != 0x0304 && t->session_id_len > 0) {
        add_key(out, RPT_ORIGIN_SESSION_ID, t->session_id, t->session_id_len);
    }
    if (t->ticket_issued_digest[0]) {
        add_key(out, RPT_ORIGIN_TICKET, t->ticket_issued_digest, strlen(t->ticket_issued_digest));
    }
    if (t->resumption == TLS_RESUME_ACCEPTED && t->ticket_offered_digest[0]) {
        add_key(out, RPT_ORIGIN_TICKET, t->ticket_offered_digest, strlen(t->ticket_offered_digest));
    }
}

void rpt_correlate_prefetch(const struct rpt_origins *origins, const struct rpt_connection *c)
{
    if (c->tls == NULL || !c->tls->is_tls) {
        return;
    }
    struct origin_keys k;
    origin_keys(c->tls, &k);
    for (unsigned i = 0; i < k.n; i++) {
        rpt_origins_prefetch(origins, k.kind[i], k.key[i], k.len[i]);
    }
}

static void remember_origin(struct rpt_origins *origins, const struct rpt_connection *c,
                            unsigned unclean_sides)
{
    const struct cap_flow_summary *fl = c->flow;
    const struct tls_summary *t = c->tls;
    struct origin_keys k;
    origin_keys(t, &k);
    if (k.n == 0) {
        return;
    }
    struct rpt_origin o;
    memset(&o, 0, sizeof(o));
    o.conn_id = fl->id;
    o.issued_ts_us = t->handshake_end_us ? t->handshake_end_us : fl->first_ts_us;
    o.end_ts_us = fl->last_ts_us;
    o.end_reason = fl->end_reason;
    o.close_notify[0] = t->dir[0].close_notify;
    o.close_notify[1] = t->dir[1].close_notify;
    g_strlcpy(o.close, rpt_close_kind(fl), sizeof(o.close));
    o.closed_by = (int8_t)rpt_closed_by(fl);
    o.unclean = unclean_sides != 0 || rpt_unclean_sides(fl, t) != 0;
    o.resumed = t->handshake == TLS_HS_RESUMED;
    for (unsigned i = 0; i < k.n; i++) {
        rpt_origins_put(origins, k.kind[i], k.key[i], k.len[i], &o);
    }
}

void rpt_correlate_add(struct rpt_servers *servers, struct rpt_origins *origins,
                       const struct rpt_connection *c, unsigned unclean_sides)
{
    const struct cap_flow_summary *fl = c->flow;
    const struct tls_summary *t = c->tls;
    struct rpt_server *s = rpt_servers_get(servers, &fl->server_ip, fl->server_port);
    if (!s) {
        servers->untracked_connections++;
        if (t && t->is_tls) {
            remember_origin(origins, c, unclean_sides);
        }
        return;
    }
    s->connections++;
    if (unclean_sides) {
        if (s->unclean_closes == 0) {
            s->first_unclean_us = fl->last_ts_us;
        }
        s->unclean_closes++;
        if (s->unclean_conns->len < RPT_MAX_RELATED) {
            g_array_append_val(s->unclean_conns, fl->id);
        }
    }
    if (!t || !t->is_tls) {
        return;
    }
    s->tls_connections++;
    add_sni(s, t->sni);
    if (t->handshake == TLS_HS_FULL) {
        count_handshake(s, t->handshake_start_us ? t->handshake_start_us : fl->first_ts_us);
    } else if (t->handshake == TLS_HS_RESUMED) {
        s->resumed++;
    }
    if (t->offered && !rpt_sid_offer_is_filler(origins, t)) {
        s->resumption_offered++;
        if (t->resumption == TLS_RESUME_REFUSED) {
            s->resumption_refused++;
        }
    }
    uint32_t na = MIN(t->num_alerts, (uint32_t)TLS_MAX_ALERTS);
    for (uint32_t i = 0; i < na; i++) {
        if (rpt_alert_is_fatal(fl, t, &t->alerts[i])) {
            s->fatal_alerts++;
        }
    }
    if (rpt_conn_is_probe(c)) {
        if (s->handshake_only == 0) {
            s->first_handshake_only_us = fl->first_ts_us;
        }
        s->handshake_only++;
        if (!s->handshake_only_conns) {
            /* Made on the first probe: most servers of a scan never see one. */
            s->handshake_only_conns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
        }
        if (s->handshake_only_conns->len < RPT_MAX_RELATED) {
            g_array_append_val(s->handshake_only_conns, fl->id);
        }
    }
    remember_origin(origins, c, unclean_sides);
}
