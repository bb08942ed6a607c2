/* The rules about the connection as a whole: not TLS on a TLS port, an unfinished handshake,
 * resets, an obsolete version or weak cipher, and a close without close_notify. */
#include <string.h>

#include "findings_internal.h"

/* Ports where a non-TLS payload is worth a note: HTTPS and the implicit-TLS mail, LDAP and
 * alternative HTTPS ports (IANA service names registry). */
static bool tls_port(uint16_t p)
{
    return p == 443 || p == 8443 || p == 465 || p == 636 || p == 853 || p == 989 || p == 990 ||
           p == 992 || p == 993 || p == 994 || p == 995;
}

bool rpt_rule_not_tls_plaintext(const struct rpt_facts *x, int dir)
{
    (void)dir;
    return !x->is_tls;
}

bool rpt_rule_not_tls_applies(const struct rpt_facts *x, int dir)
{
    (void)dir;
    if (x->is_tls) {
        return x->t->other_answer;
    }
    return x->t && x->t->not_tls && tls_port(x->fl->server_port);
}

/* The other side of not TLS: the client sent a ClientHello and the server answered in another
 * protocol (TLS to a plain HTTP port, or to the wrong service). */
static void other_answer(const struct rpt_facts *x, enum rpt_severity sev, GPtrArray *out)
{
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    const struct cap_dir_stats *sd = &fl->dir[CAP_DIR_SERVER];
    char *sum;
    if (t->other_answer_head[0]) {
        sum = g_strdup_printf("The server answered the ClientHello with \"%s\", not TLS: the "
                              "client sent TLS to port %u, which speaks another protocol.",
                              t->other_answer_head, fl->server_port);
    } else {
        sum = g_strdup_printf("The server answered the ClientHello with binary bytes that do not "
                              "frame as TLS records: port %u speaks another protocol, or its TLS "
                              "stack is broken.",
                              fl->server_port);
    }
    struct rpt_finding *f = rpt_finding_new(RPT_K_NOT_TLS, sev, fl->id, fl->first_ts_us, sum);
    rpt_finding_evidence(f, (struct rpt_pin){.side = RPT_SIDE_SERVER, .has_offset = true},
                         "%" G_GUINT64_FORMAT " bytes from the server, no TLS record among them",
                         sd->bytes);
    if (t->other_answer_head[0]) {
        rpt_finding_cause(f, RPT_C_OTHER_PROTOCOL, RPT_CONF_HIGH,
                          "a TLS server answers a ClientHello with a ServerHello or an alert; a "
                          "line of text is what a plaintext service sends (a banner, or its "
                          "answer to a request it cannot parse)");
    } else {
        rpt_finding_cause(f, RPT_C_OTHER_PROTOCOL, RPT_CONF_MEDIUM,
                          "a TLS server answers a ClientHello with a ServerHello or an alert; "
                          "binary bytes that are no TLS record come from another protocol or a "
                          "broken TLS stack");
    }
    g_ptr_array_add(out, f);
}

void rpt_rule_not_tls(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    (void)dir;
    if (x->is_tls) {
        other_answer(x, sev, out);
        return;
    }
    const struct cap_flow_summary *fl = x->fl;
    const struct rpt_connection *c = x->c;
    /* A client speaking plaintext to a TLS port (HTTP to 443) is a classic
     * misconfiguration, so this is a warning, not trivia. */
    bool named = c->app && strcmp(c->app, "Unknown") != 0;
    char *sum = named ? g_strdup_printf("Port %u, a TLS port, carried %s, not TLS (nDPI).",
                                        fl->server_port, c->app)
                      : g_strdup_printf("Port %u, a TLS port, carried bytes that do not "
                                        "frame as TLS.",
                                        fl->server_port);
    struct rpt_finding *f = rpt_finding_new(RPT_K_NOT_TLS, sev, fl->id, fl->first_ts_us, sum);
    rpt_finding_cause(f, RPT_C_OTHER_PROTOCOL, RPT_CONF_MEDIUM, "%s",
                      c->app ? c->app : "the payload is not a TLS record");
    g_ptr_array_add(out, f);
}

bool rpt_rule_incomplete_applies(const struct rpt_facts *x, int dir)
{
    (void)dir;
    return x->is_tls && x->t->handshake == TLS_HS_INCOMPLETE;
}

void rpt_rule_incomplete(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    (void)dir;
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    int64_t start = t->handshake_start_us ? t->handshake_start_us : fl->first_ts_us;
    char tsb[32], db[32];
    char *sum = g_strdup_printf(
        "The handshake started at %s and had not finished when the "
        "connection ended (%s, %s later; history %s).",
        rpt_format_ts(start, tsb, sizeof(tsb)), cap_end_reason_name(fl->end_reason),
        rpt_duration_str(fl->last_ts_us - start, db, sizeof(db)), t->history[0] ? t->history : "-");
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_INCOMPLETE_HANDSHAKE, sev, fl->id, fl->last_ts_us, sum);
    if (t->other_answer) {
        rpt_finding_cause(f, RPT_C_OTHER_PROTOCOL,
                          t->other_answer_head[0] ? RPT_CONF_HIGH : RPT_CONF_MEDIUM,
                          "the server answered the ClientHello with bytes that are not TLS (see "
                          "the not_tls finding)");
    }
    if (fl->dir[0].num_gaps || fl->dir[1].num_gaps) {
        rpt_finding_cause(f, RPT_C_CAPTURE_GAP, RPT_CONF_MEDIUM,
                          "the capture missed bytes of this connection; the rest of the "
                          "handshake may be in them");
    }
    if (fl->end_reason == CAP_END_CAPTURE_END) {
        rpt_finding_cause(f, RPT_C_CAPTURE_ENDED, RPT_CONF_MEDIUM,
                          "the capture ended with the connection open");
    } else if (fl->dir[0].rst_seen || fl->dir[1].rst_seen) {
        rpt_finding_cause(f, RPT_C_PEER_RESET, RPT_CONF_MEDIUM,
                          "a side reset the connection during the handshake");
    } else {
        rpt_finding_cause(f, RPT_C_PEER_ABANDONED, RPT_CONF_LOW,
                          "a side stopped answering or closed during the handshake");
    }
    g_ptr_array_add(out, f);
}

/* A reset is routine (info) when another finding explains it: after that side's close_notify,
 * an unclean close of that side, or a fatal alert. Routine resets of a server past its
 * one-by-one share are counted into the server by the plan, not made here. */
bool rpt_rule_reset_routine(const struct rpt_facts *x, int dir)
{
    return x->plan->routine_reset[dir];
}

bool rpt_rule_reset_applies(const struct rpt_facts *x, int dir)
{
    return x->is_tls && x->fl->dir[dir].rst_seen &&
           !(x->plan->routine_reset[dir] && x->plan->resets_grouped);
}

void rpt_rule_reset(const struct rpt_facts *x, int d, enum rpt_severity sev, GPtrArray *out)
{
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    const struct cap_dir_stats *ds = &fl->dir[d];
    bool after_notify = t->dir[d].close_notify == TLS_CN_YES;
    bool covered = (x->plan->unclean_sides & (1u << d)) != 0;
    bool fatal = x->fatal != NULL;
    char tsb[32];
    char *sum = g_strdup_printf(
        "The %s reset the connection at %s (stream offset %" G_GUINT64_FORMAT ")%s.",
        rpt_dir_name(d), rpt_format_ts(ds->rst_ts_us, tsb, sizeof(tsb)), ds->rst_offset,
        after_notify ? " after sending close_notify"
        : covered    ? " without sending close_notify"
        : fatal      ? " after a fatal alert"
                     : "");
    struct rpt_finding *f = rpt_finding_new(RPT_K_TCP_RESET, sev, fl->id, ds->rst_ts_us, sum);
    rpt_finding_evidence(f,
                         (struct rpt_pin){.side = rpt_side(d),
                                          .has_offset = true,
                                          .offset = ds->rst_offset,
                                          .ts_us = ds->rst_ts_us},
                         "RST from the %s", rpt_dir_name(d));
    if (after_notify) {
        rpt_finding_cause(f, RPT_C_ABORTIVE_CLOSE_AFTER_SHUTDOWN, RPT_CONF_HIGH,
                          "the TLS session was shut down; the socket was then closed with "
                          "unread data or SO_LINGER 0");
    } else if (covered) {
        rpt_finding_cause(f, RPT_C_ABORTIVE_CLOSE, RPT_CONF_HIGH,
                          "the %s closed the socket with unread data or SO_LINGER 0 instead "
                          "of a TLS shutdown (an unclean close)",
                          rpt_dir_name(d));
    } else if (fatal) {
        rpt_finding_cause(f, RPT_C_ABORT_AFTER_FATAL_ALERT, RPT_CONF_HIGH,
                          "a fatal alert ended the TLS connection; the reset follows from it");
    } else {
        rpt_finding_cause(f, RPT_C_ABORTIVE_CLOSE, RPT_CONF_MEDIUM,
                          "the %s's application or kernel aborted the connection", rpt_dir_name(d));
    }
    g_ptr_array_add(out, f);
}

bool rpt_rule_obsolete_applies(const struct rpt_facts *x, int dir)
{
    (void)dir;
    if (!x->is_tls) {
        return false;
    }
    uint16_t v = x->t->version;
    return v == 0x0002 || v == 0x0300 || v == 0x0301 || v == 0x0302;
}

void rpt_rule_obsolete(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    (void)dir;
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    char vb[16];
    char *sum = g_strdup_printf("The connection negotiated %s, which RFC 8996 deprecates.",
                                rpt_version_str(t->version, vb, sizeof(vb)));
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_OBSOLETE_VERSION, sev, fl->id,
                        t->handshake_start_us ? t->handshake_start_us : fl->first_ts_us, sum);
    rpt_finding_cause(f, RPT_C_LEGACY_ENDPOINT, RPT_CONF_HIGH,
                      "the server chose it (or the client offered nothing newer)");
    g_ptr_array_add(out, f);
}

bool rpt_rule_weak_cipher_applies(const struct rpt_facts *x, int dir)
{
    (void)dir;
    return x->is_tls && x->t->cipher_known && tls_cipher_is_weak(x->t->cipher);
}

void rpt_rule_weak_cipher(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out)
{
    (void)dir;
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    char cb[16];
    char *sum = g_strdup_printf("The connection uses the weak cipher suite %s.",
                                rpt_cipher_str(t->cipher, cb, sizeof(cb)));
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_WEAK_CIPHER, sev, fl->id,
                        t->handshake_start_us ? t->handshake_start_us : fl->first_ts_us, sum);
    rpt_finding_cause(f, RPT_C_LEGACY_CONFIGURATION, RPT_CONF_HIGH,
                      "RC4, NULL, EXPORT, 3DES and anonymous suites are broken or unauthenticated");
    g_ptr_array_add(out, f);
}

/* The per-connection unclean_close; a server's closes past its one-by-one share are only
 * counted (the plan decides) and grouped at finish (findings_server.c). */
bool rpt_rule_unclean_close_applies(const struct rpt_facts *x, int dir)
{
    (void)dir;
    return x->plan->unclean_one_by_one;
}

void rpt_rule_unclean_close(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                            GPtrArray *out)
{
    (void)dir;
    const struct cap_flow_summary *fl = x->fl;
    const struct tls_summary *t = x->t;
    unsigned sides = x->plan->unclean_sides;
    GString *s = g_string_new(NULL);
    int64_t ts = fl->last_ts_us;
    bool first = true;
    for (int d = 0; d < 2; d++) {
        if (!(sides & (1u << d))) {
            continue;
        }
        const struct cap_dir_stats *ds = &fl->dir[d];
        bool rst = ds->rst_seen && (!ds->fin_seen || ds->rst_ts_us < ds->fin_ts_us);
        int64_t cts = rst ? ds->rst_ts_us : ds->fin_ts_us;
        if (first) {
            ts = cts;
        }
        g_string_append_printf(s, "%s%s closed with %s without sending close_notify",
                               first ? "The " : "; the ", rpt_dir_name(d), rst ? "RST" : "FIN");
        first = false;
    }
    g_string_append_printf(s, " (close_notify client: %s, server: %s).",
                           tls_close_notify_name(t->dir[0].close_notify),
                           tls_close_notify_name(t->dir[1].close_notify));
    struct rpt_finding *f =
        rpt_finding_new(RPT_K_UNCLEAN_CLOSE, sev, fl->id, ts, g_string_free(s, FALSE));
    rpt_finding_set_server(f, &fl->server_ip, fl->server_port);
    for (int d = 0; d < 2; d++) {
        if (!(sides & (1u << d))) {
            continue;
        }
        const struct cap_dir_stats *ds = &fl->dir[d];
        const char *reason = t->dir[d].close_notify_reason;
        if (ds->fin_seen) {
            rpt_finding_evidence(f,
                                 (struct rpt_pin){.side = rpt_side(d),
                                                  .has_offset = true,
                                                  .offset = ds->fin_offset,
                                                  .ts_us = ds->fin_ts_us},
                                 "FIN from the %s, no close_notify%s%s", rpt_dir_name(d),
                                 reason ? ": " : "", reason ? reason : "");
        }
        if (ds->rst_seen) {
            rpt_finding_evidence(f,
                                 (struct rpt_pin){.side = rpt_side(d),
                                                  .has_offset = true,
                                                  .offset = ds->rst_offset,
                                                  .ts_us = ds->rst_ts_us},
                                 "RST from the %s, no close_notify%s%s", rpt_dir_name(d),
                                 reason ? ": " : "", reason ? reason : "");
        }
    }
    rpt_finding_cause(f, RPT_C_NO_TLS_SHUTDOWN, RPT_CONF_HIGH,
                      "the application closed the socket without a TLS shutdown (health checks and "
                      "some HTTP clients do); JDK and OpenSSL servers then invalidate the session, "
                      "so the next connection needs a full handshake");
    g_ptr_array_add(out, f);
}
