/* Server-level findings, made at finish once every connection is counted: unclean closes and
 * routine resets grouped per server, and full-handshake storms (the HAProxy SSL health-check
 * pattern). */
#include "findings_internal.h"

/* One finding for a server's grouped connections: the first of them listed as related (up to
 * what was kept), all of them counted. */
static struct rpt_finding *group_finding(enum rpt_kind kind, enum rpt_severity sev, int64_t ts_us,
                                         char *summary, const struct rpt_server *s,
                                         const GArray *conns, uint64_t total)
{
    struct rpt_finding *f = rpt_finding_new(kind, sev, 0, ts_us, summary);
    rpt_finding_set_server(f, &s->ip, s->port);
    for (guint i = 0; i < conns->len; i++) {
        rpt_finding_related(f, g_array_index(conns, uint64_t, i));
    }
    f->related_total = total;
    return f;
}

/* A server rule: the same shape as a connection rule (findings_internal.h), on a server. */
struct server_rule {
    enum rpt_kind kind;
    enum rpt_severity severity;
    bool (*applies)(const struct rpt_options *o, const struct rpt_server *s);
    void (*build)(const struct rpt_options *o, const struct rpt_server *s, const char *srv,
                  enum rpt_severity sev, GPtrArray *out);
};

static bool unclean_group_applies(const struct rpt_options *o, const struct rpt_server *s)
{
    return s->unclean_closes > o->unclean_close_group;
}

static void unclean_group(const struct rpt_options *o, const struct rpt_server *s, const char *srv,
                          enum rpt_severity sev, GPtrArray *out)
{
    (void)o;
    char *sum =
        g_strdup_printf("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " TLS connections to %s "
                        "closed without close_notify; the first %" G_GUINT64_FORMAT
                        " are also reported one by one.",
                        s->unclean_closes, s->tls_connections, srv, s->unclean_reported);
    struct rpt_finding *f = group_finding(RPT_K_UNCLEAN_CLOSE, sev, s->first_unclean_us, sum, s,
                                          s->unclean_conns, s->unclean_closes);
    rpt_finding_evidence(f, RPT_NO_PIN,
                         "%" G_GUINT64_FORMAT " unclean closes, %" G_GUINT64_FORMAT
                         " full handshakes, %" G_GUINT64_FORMAT
                         " resumptions refused of %" G_GUINT64_FORMAT " offered",
                         s->unclean_closes, s->full_handshakes, s->resumption_refused,
                         s->resumption_offered);
    rpt_finding_cause(f, RPT_C_NO_TLS_SHUTDOWN, RPT_CONF_HIGH,
                      "clients (or health checks) close their sockets without a TLS shutdown; JDK "
                      "and OpenSSL servers then invalidate each session");
    g_ptr_array_add(out, f);
}

static bool reset_group_applies(const struct rpt_options *o, const struct rpt_server *s)
{
    return s->routine_resets > o->unclean_close_group;
}

static void reset_group(const struct rpt_options *o, const struct rpt_server *s, const char *srv,
                        enum rpt_severity sev, GPtrArray *out)
{
    (void)o;
    char *sum = g_strdup_printf(
        "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " connections to %s ended with a routine "
        "TCP reset (after close_notify, or explained by another finding); the first "
        "%" G_GUINT64_FORMAT " are also reported one by one.",
        s->routine_resets, s->connections, srv, s->resets_reported);
    struct rpt_finding *f = group_finding(RPT_K_TCP_RESET, sev, s->first_reset_us, sum, s,
                                          s->reset_conns, s->routine_resets);
    rpt_finding_evidence(f, RPT_NO_PIN,
                         "%" G_GUINT64_FORMAT " resets after close_notify, %" G_GUINT64_FORMAT
                         " after an unclean close or a fatal alert",
                         s->resets_after_shutdown, s->routine_resets - s->resets_after_shutdown);
    if (s->resets_after_shutdown > 0) {
        rpt_finding_cause(f, RPT_C_ABORTIVE_CLOSE_AFTER_SHUTDOWN, RPT_CONF_HIGH,
                          "the TLS sessions were shut down; the sockets were then closed with "
                          "unread data or SO_LINGER 0, as many clients and load balancers do");
    }
    if (s->routine_resets > s->resets_after_shutdown) {
        rpt_finding_cause(f, RPT_C_ABORTIVE_CLOSE, RPT_CONF_HIGH,
                          "%s follow an unclean close or a fatal alert, which unclean_close and "
                          "fatal_alert findings report",
                          s->resets_after_shutdown > 0 ? "the other resets" : "the resets");
    }
    g_ptr_array_add(out, f);
}

/* The HAProxy SSL health-check pattern: handshakes at a high rate, and the sessions that would
 * have spared them refused or never kept. */
static bool storm_refused(const struct rpt_server *s)
{
    return s->resumption_offered > 0 && s->resumption_refused * 2 > s->resumption_offered;
}

static bool storm_unclean(const struct rpt_server *s)
{
    return s->tls_connections > 0 && s->unclean_closes * 2 > s->tls_connections;
}

static bool storm_applies(const struct rpt_options *o, const struct rpt_server *s)
{
    double mean = rpt_server_rate_mean(s);
    bool fast = (double)s->hs_peak >= o->storm_rate || mean >= o->storm_rate;
    return fast && (storm_refused(s) || storm_unclean(s));
}

static void storm(const struct rpt_options *o, const struct rpt_server *s, const char *srv,
                  enum rpt_severity sev, GPtrArray *out)
{
    double mean = rpt_server_rate_mean(s);
    bool refused = storm_refused(s);
    bool unclean = storm_unclean(s);
    char tsb[32];
    int64_t peak_us = s->hs_peak_second * 1000000;
    char *sum = g_strdup_printf(
        "%s performed %" G_GUINT64_FORMAT
        " full handshakes in the busiest second (%s) and %.1f per "
        "second on average over %.3f s (%" G_GUINT64_FORMAT
        " in all, SslBackendKeyRate-style), with "
        "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
        " offered resumptions refused and %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
        " TLS connections closed without close_notify.",
        srv, s->hs_peak, rpt_format_ts(peak_us, tsb, sizeof(tsb)), mean,
        (double)(s->hs_last_us - s->hs_first_us) / 1e6, s->full_handshakes, s->resumption_refused,
        s->resumption_offered, s->unclean_closes, s->tls_connections);
    struct rpt_finding *f = rpt_finding_new(RPT_K_FULL_HANDSHAKE_STORM, sev, 0, peak_us, sum);
    rpt_finding_set_server(f, &s->ip, s->port);
    rpt_finding_evidence(f, (struct rpt_pin){.ts_us = peak_us},
                         "peak %" G_GUINT64_FORMAT " full handshakes/s; threshold %.1f/s",
                         s->hs_peak, o->storm_rate);
    /* With no offer at all, dropped sessions cannot be what costs the handshakes: the clients
     * never try to resume, so that comes first and unclean closes are only a side note. */
    bool none_offered = s->resumption_offered == 0;
    if (none_offered) {
        rpt_finding_cause(f, RPT_C_NO_RESUMPTION_OFFERED, RPT_CONF_HIGH,
                          "no client offered a session: they do not keep sessions between "
                          "connections, so each one pays a full handshake whatever the server "
                          "keeps");
    }
    if (unclean) {
        if (none_offered) {
            rpt_finding_cause(
                f, RPT_C_UNCLEAN_CLOSES_INVALIDATE_SESSIONS, RPT_CONF_LOW,
                "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " connections closed without "
                "close_notify; servers drop such sessions, but no client offered one here",
                s->unclean_closes, s->tls_connections);
        } else {
            rpt_finding_cause(
                f, RPT_C_UNCLEAN_CLOSES_INVALIDATE_SESSIONS, RPT_CONF_HIGH,
                "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " connections closed without "
                "close_notify (as HAProxy's SSL health checks do); the server drops those "
                "sessions, so every new connection pays a full handshake",
                s->unclean_closes, s->tls_connections);
        }
    }
    if (refused) {
        rpt_finding_cause(f, RPT_C_RESUMPTION_REFUSED, unclean ? RPT_CONF_MEDIUM : RPT_CONF_HIGH,
                          "%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " offered resumptions were "
                          "refused: the server's session cache or ticket keys do not cover its "
                          "clients",
                          s->resumption_refused, s->resumption_offered);
    }
    g_ptr_array_add(out, f);
}

/* Handshake-only probes are routine (health checks, monitoring, scanners) and never a failure:
 * one finding per server counts them, so they are seen without a warning each. */
static bool handshake_only_applies(const struct rpt_options *o, const struct rpt_server *s)
{
    (void)o;
    return s->handshake_only > 0;
}

static void handshake_only(const struct rpt_options *o, const struct rpt_server *s, const char *srv,
                           enum rpt_severity sev, GPtrArray *out)
{
    (void)o;
    char *sum = g_strdup_printf("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " TLS connections to "
                                "%s completed the handshake and closed without sending "
                                "application data (handshake-only probes).",
                                s->handshake_only, s->tls_connections, srv);
    struct rpt_finding *f = group_finding(RPT_K_HANDSHAKE_ONLY, sev, s->first_handshake_only_us,
                                          sum, s, s->handshake_only_conns, s->handshake_only);
    rpt_finding_cause(f, RPT_C_HEALTH_CHECK_OR_PROBE, RPT_CONF_MEDIUM,
                      "a client that completes the handshake and closes at once, with "
                      "close_notify or before any application data, is testing the connection "
                      "(openssl s_client, load balancer health checks, certificate monitors, "
                      "scanners)");
    g_ptr_array_add(out, f);
}

static const struct server_rule server_rules[] = {
    {RPT_K_UNCLEAN_CLOSE, RPT_SEV_WARNING, unclean_group_applies, unclean_group},
    {RPT_K_TCP_RESET, RPT_SEV_INFO, reset_group_applies, reset_group},
    {RPT_K_FULL_HANDSHAKE_STORM, RPT_SEV_ERROR, storm_applies, storm},
    {RPT_K_HANDSHAKE_ONLY, RPT_SEV_INFO, handshake_only_applies, handshake_only},
};

void rpt_findings_server(const struct rpt_options *o, const struct rpt_server *s, GPtrArray *out)
{
    char srv[80];
    rpt_endpoint_format(&s->ip, s->port, srv, sizeof(srv));
    for (size_t i = 0; i < G_N_ELEMENTS(server_rules); i++) {
        if (server_rules[i].applies(o, s)) {
            server_rules[i].build(o, s, srv, server_rules[i].severity, out);
        }
    }
}
