/* Findings engine: each scenario of hand-built connection summaries goes through the whole
 * reporter (rpt_new .. rpt_finish) with an NDJSON output; the findings read back must have the
 * expected kinds in order, and the named finding its expected top cause, evidence and related
 * connections. Plus the cause ranking and the bounded session-origin table on their own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "report_scenarios.h"

struct finding_case {
    const char *name;
    void (*build)(struct scenario *);
    const char *kinds; /* distinct finding kinds, space-separated, in order of first appearance */
    const char *check_kind; /* the first finding of this kind is checked below; NULL: none */
    const char *top_cause;
    const char *why_contains; /* substring of the top cause's "why" */
    const char *second_cause; /* cause ranked second, or NULL when there must be just one */
    const char *related;      /* related_connections joined by ',', or NULL to skip */
    const char *count_kind;   /* a kind whose total count is checked, or NULL */
    int count;
    int max_severity;
};

static const struct finding_case cases[] = {
    {"version_mismatch", sc_version_mismatch, "fatal_alert", "fatal_alert", "version_mismatch",
     "TLS 1.3", NULL, "", NULL, 0, RPT_SEV_ERROR},
    {"legacy_offer_refused", sc_legacy_refused, "fatal_alert", "fatal_alert", "version_mismatch",
     "offered only TLS 1.1, TLS 1.0", NULL, "", NULL, 0, RPT_SEV_ERROR},
    {"desync_444_bad_record_mac", sc_desync_444, "fatal_alert record_desync", "fatal_alert",
     "bytes_missing_in_stream", "about 444 bytes", NULL, "", "record_desync", 1, RPT_SEV_ERROR},
    {"desync_444_encrypted_alert", sc_desync_444_encrypted, "fatal_alert record_desync",
     "fatal_alert", "bytes_missing_in_stream", "about 444 bytes", NULL, "", "record_desync", 1,
     RPT_SEV_ERROR},
    {"alert_after_resumption", sc_resumed_alert, "fatal_alert", "fatal_alert",
     "resumption_state_mismatch", "right after an abbreviated handshake", "in_flight_corruption",
     "", NULL, 0, RPT_SEV_ERROR},
    {"gap_capture_gap", sc_gap, "fatal_alert stream_gap", "fatal_alert", "capture_gap",
     "34752 bytes", NULL, "", "record_desync", 0, RPT_SEV_ERROR},
    {"inconsistent_retransmission", sc_incons, "fatal_alert inconsistent_retransmission",
     "fatal_alert", "in_flight_corruption", "packet 17", NULL, "", NULL, 0, RPT_SEV_ERROR},
    {"intact_bad_record_mac", sc_intact_mac, "fatal_alert", "fatal_alert", "in_flight_corruption",
     "capture point saw the server stream intact", NULL, "", NULL, 0, RPT_SEV_ERROR},
    {"ttl_change_before_alert", sc_ttl_change, "fatal_alert path_change", "fatal_alert",
     "path_change", "from 64 to 63", NULL, "", NULL, 0, RPT_SEV_ERROR},
    {"resumption_after_unclean_close", sc_resumption, "tcp_reset unclean_close resumption_refused",
     "resumption_refused", "prior_unclean_close", "C1 ended without close_notify",
     "server_cache_miss", "C1", "unclean_close", 1, RPT_SEV_WARNING},
    /* No client offered a session: that comes first, the unclean closes are a side note. */
    {"full_handshake_storm", sc_storm, "tcp_reset unclean_close full_handshake_storm handshake_only",
     "full_handshake_storm", "no_resumption_offered", "no client offered a session",
     "unclean_closes_invalidate_sessions", "", "unclean_close", 11, RPT_SEV_ERROR},
    {"full_handshake_storm_refused", sc_storm_refused,
     "tcp_reset unclean_close resumption_refused full_handshake_storm handshake_only",
     "full_handshake_storm",
     "unclean_closes_invalidate_sessions", "300 of 300", "resumption_refused", "", "unclean_close",
     11, RPT_SEV_ERROR},
    /* A handshake-only probe's close_notify (inferred): no failure, one info finding for its
     * server that counts it. */
    {"alert_right_after_handshake", sc_alert_before_data, "handshake_only", "handshake_only",
     "health_check_or_probe", "testing the connection", NULL, "C1", "fatal_alert", 0,
     RPT_SEV_INFO},
    {"clean_connection", sc_clean_one, "", NULL, NULL, NULL, NULL, NULL, "fatal_alert", 0, -1},
};

static char *tmp_path(const char *what)
{
    return g_strdup_printf("%s/test_report_findings-%d-%s", TLSSCOPE_BINARY_DIR, (int)getpid(),
                           what);
}

/* Every NDJSON line of a run, in order, as JSON objects (the caller unrefs the array);
 * *out_max_sev (when not NULL) gets the run's highest severity. */
static GPtrArray *run_lines_sev(const struct scenario *s, int *out_max_sev)
{
    char *nd = tmp_path("out.ndjson");
    struct rpt_options o;
    rpt_options_defaults(&o);
    o.ndjson_path = nd;
    GError *err = NULL;
    struct rpt_ctx *r = rpt_new(&o, &err);
    assert_non_null(r);
    sc_feed(r, s);
    assert_true(rpt_finish(r, NULL, &err));
    if (out_max_sev) {
        *out_max_sev = rpt_max_severity(r);
    }
    rpt_free(r);
    char *text = NULL;
    assert_true(g_file_get_contents(nd, &text, NULL, NULL));
    unlink(nd);
    g_free(nd);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (**l) {
            JsonNode *n = json_from_string(*l, &err);
            assert_non_null(n);
            g_ptr_array_add(out, n);
        }
    }
    g_strfreev(lines);
    g_free(text);
    return out;
}

static GPtrArray *run_lines(const struct scenario *s)
{
    return run_lines_sev(s, NULL);
}

/* Runs the scenario through the reporter and returns the NDJSON "finding" objects in order. */
static GPtrArray *run_findings(const struct scenario *s, int *out_max_sev)
{
    GPtrArray *lines = run_lines_sev(s, out_max_sev);
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)json_node_unref);
    uint64_t expect_id = 1;
    for (guint i = 0; i < lines->len; i++) {
        JsonNode *n = g_ptr_array_index(lines, i);
        JsonObject *obj = json_node_get_object(n);
        if (strcmp(json_object_get_string_member(obj, "type"), "finding") == 0) {
            /* Ids are given in the order findings are made. */
            char want[24];
            g_snprintf(want, sizeof(want), "F%" G_GUINT64_FORMAT, expect_id++);
            assert_string_equal(json_object_get_string_member(obj, "id"), want);
            g_ptr_array_add(out, json_node_ref(n));
        }
    }
    g_ptr_array_unref(lines);
    return out;
}

static void test_case(void **state)
{
    const struct finding_case *tc = *state;
    struct scenario *s = g_new0(struct scenario, 1);
    tc->build(s);
    int max_sev;
    GPtrArray *findings = run_findings(s, &max_sev);
    assert_int_equal(max_sev, tc->max_severity);

    GString *kinds = g_string_new(NULL);
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    JsonObject *checked = NULL;
    int count = 0;
    for (guint i = 0; i < findings->len; i++) {
        JsonObject *f = json_node_get_object(g_ptr_array_index(findings, i));
        const char *kind = json_object_get_string_member(f, "kind");
        if (!g_hash_table_contains(seen, kind)) {
            g_hash_table_add(seen, (gpointer)kind);
            g_string_append_printf(kinds, "%s%s", kinds->len ? " " : "", kind);
        }
        if (tc->check_kind && !checked && strcmp(kind, tc->check_kind) == 0) {
            checked = f;
        }
        if (tc->count_kind && strcmp(kind, tc->count_kind) == 0) {
            count++;
        }
    }
    assert_string_equal(kinds->str, tc->kinds);
    if (tc->count_kind) {
        assert_int_equal(count, tc->count);
    }
    if (tc->check_kind) {
        assert_non_null(checked);
        JsonArray *causes = json_object_get_array_member(checked, "probable_causes");
        assert_true(json_array_get_length(causes) >= 1);
        JsonObject *top = json_array_get_object_element(causes, 0);
        assert_string_equal(json_object_get_string_member(top, "cause"), tc->top_cause);
        const char *why = json_object_get_string_member(top, "why");
        if (!strstr(why, tc->why_contains)) {
            fail_msg("why \"%s\" lacks \"%s\"", why, tc->why_contains);
        }
        if (tc->second_cause) {
            assert_true(json_array_get_length(causes) >= 2);
            assert_string_equal(
                json_object_get_string_member(json_array_get_object_element(causes, 1), "cause"),
                tc->second_cause);
        }
        /* Ranked: confidence never rises down the list. */
        int prev = 3;
        for (guint i = 0; i < json_array_get_length(causes); i++) {
            const char *c = json_object_get_string_member(json_array_get_object_element(causes, i),
                                                          "confidence");
            int v = strcmp(c, "high") == 0 ? 2 : strcmp(c, "medium") == 0 ? 1 : 0;
            assert_true(v <= prev);
            prev = v;
        }
        if (tc->related) {
            JsonArray *rel = json_object_get_array_member(checked, "related_connections");
            GString *r = g_string_new(NULL);
            for (guint i = 0; i < json_array_get_length(rel); i++) {
                g_string_append_printf(r, "%s%s", i ? "," : "",
                                       json_array_get_string_element(rel, i));
            }
            assert_string_equal(r->str, tc->related);
            g_string_free(r, TRUE);
        }
        assert_true(strlen(json_object_get_string_member(checked, "summary")) > 20);
    }
    g_hash_table_destroy(seen);
    g_string_free(kinds, TRUE);
    g_ptr_array_unref(findings);
    g_free(s);
}

/* The storm finding is about the server, counts the handshakes of the busiest second, and
 * quotes them. */
static void test_storm_details(void **state)
{
    (void)state;
    struct scenario *s = g_new0(struct scenario, 1);
    sc_storm(s);
    int max_sev;
    GPtrArray *findings = run_findings(s, &max_sev);
    JsonObject *storm = NULL;
    JsonObject *group = NULL;
    for (guint i = 0; i < findings->len; i++) {
        JsonObject *f = json_node_get_object(g_ptr_array_index(findings, i));
        const char *kind = json_object_get_string_member(f, "kind");
        if (strcmp(kind, "full_handshake_storm") == 0) {
            storm = f;
        } else if (strcmp(kind, "unclean_close") == 0 &&
                   json_object_get_null_member(f, "connection")) {
            group = f;
        }
    }
    assert_non_null(storm);
    assert_non_null(group);
    assert_true(json_object_get_null_member(storm, "connection"));
    JsonObject *srv = json_object_get_object_member(storm, "server");
    assert_string_equal(json_object_get_string_member(srv, "ip"), "10.0.0.2");
    assert_int_equal(json_object_get_int_member(srv, "port"), 443);
    assert_non_null(strstr(json_object_get_string_member(storm, "summary"),
                           "300 full handshakes in the busiest second"));
    assert_string_equal(json_object_get_string_member(storm, "severity"), "error");
    /* The grouped finding lists every unclean close of the server. */
    assert_int_equal(
        json_array_get_length(json_object_get_array_member(group, "related_connections")), 300);
    g_ptr_array_unref(findings);
    g_free(s);
}

/* Below the storm rate, the same pattern is no storm: the threshold is what decides. */
static void test_no_storm_when_slow(void **state)
{
    (void)state;
    struct scenario *s = g_new0(struct scenario, 1);
    for (int i = 0; i < 40; i++) {
        /* One per second; the client closes with FIN and sends no alert at all. */
        struct sc_conn *c = sc_clean(s, SC_T0 + (int64_t)i * 1000000);
        c->tls.dir[0].close_notify = TLS_CN_NO;
        c->tls.num_alerts = 1;
        c->tls.alerts[0] = c->tls.alerts[1];
    }
    int max_sev;
    GPtrArray *findings = run_findings(s, &max_sev);
    int unclean = 0;
    for (guint i = 0; i < findings->len; i++) {
        JsonObject *f = json_node_get_object(g_ptr_array_index(findings, i));
        assert_string_not_equal(json_object_get_string_member(f, "kind"), "full_handshake_storm");
        unclean += strcmp(json_object_get_string_member(f, "kind"), "unclean_close") == 0;
    }
    assert_int_equal(unclean, 11); /* 10 one by one, then the grouped one */
    assert_int_equal(max_sev, RPT_SEV_WARNING);
    g_ptr_array_unref(findings);
    g_free(s);
}

struct rank_case {
    const char *name;
    struct {
        enum rpt_cause_id cause;
        enum rpt_confidence conf;
    } in[4];
    int n;
    const char *want; /* "cause/index of insertion" joined by ' ' after ranking */
};

static const struct rank_case rank_cases[] = {
    {"by_confidence",
     {{RPT_C_UNKNOWN, RPT_CONF_LOW},
      {RPT_C_CAPTURE_GAP, RPT_CONF_HIGH},
      {RPT_C_VERSION_MISMATCH, RPT_CONF_MEDIUM}},
     3,
     "capture_gap/1 version_mismatch/2 unknown/0"},
    {"priority_breaks_ties",
     {{RPT_C_CAPTURE_GAP, RPT_CONF_HIGH},
      {RPT_C_VERSION_MISMATCH, RPT_CONF_HIGH},
      {RPT_C_CERTIFICATE_REJECTED, RPT_CONF_HIGH}},
     3,
     "version_mismatch/1 certificate_rejected/2 capture_gap/0"},
    {"stable_on_equal",
     {{RPT_C_SERVER_CACHE_MISS, RPT_CONF_MEDIUM},
      {RPT_C_SERVER_CACHE_MISS, RPT_CONF_MEDIUM},
      {RPT_C_PRIOR_UNCLEAN_CLOSE, RPT_CONF_LOW}},
     3,
     "server_cache_miss/0 server_cache_miss/1 prior_unclean_close/2"},
    {"single", {{RPT_C_UNKNOWN, RPT_CONF_LOW}}, 1, "unknown/0"},
};

static void test_rank(void **state)
{
    const struct rank_case *rc = *state;
    struct rpt_finding *f = rpt_finding_new(RPT_K_FATAL_ALERT, RPT_SEV_ERROR, 1, 0, g_strdup("x"));
    for (int i = 0; i < rc->n; i++) {
        rpt_finding_cause(f, rc->in[i].cause, rc->in[i].conf, "%d", i);
    }
    rpt_finding_rank_causes(f);
    GString *got = g_string_new(NULL);
    for (uint32_t i = 0; i < f->num_causes; i++) {
        g_string_append_printf(got, "%s%s/%s", i ? " " : "", rpt_cause_name(f->causes[i].id),
                               f->causes[i].why);
    }
    assert_string_equal(got->str, rc->want);
    g_string_free(got, TRUE);
    rpt_finding_free(f);
}

/* causes.def: every cause has a name of its own and a tie-break rank of its own (two causes
 * sharing one would rank by the order the rules happened to add them). */
static void test_cause_table(void **state)
{
    (void)state;
    for (int i = 0; i < RPT_C_COUNT; i++) {
        assert_true(rpt_cause_priority(i) > 0);
        assert_true(strlen(rpt_cause_name(i)) > 0);
        for (int j = 0; j < i; j++) {
            assert_string_not_equal(rpt_cause_name(i), rpt_cause_name(j));
            assert_int_not_equal(rpt_cause_priority(i), rpt_cause_priority(j));
        }
    }
    for (int k = 0; k < RPT_K_COUNT; k++) {
        for (int j = 0; j < k; j++) {
            assert_string_not_equal(rpt_kind_name(k), rpt_kind_name(j));
        }
    }
}

/* The origin table holds at most max_entries keys, evicts the oldest first and counts it. */
static void test_origins_bounded(void **state)
{
    (void)state;
    struct rpt_origins *o = rpt_origins_new(3);
    struct rpt_origin org = {0};
    for (uint8_t k = 1; k <= 5; k++) {
        uint8_t key[4] = {k, k, k, k};
        org.conn_id = k;
        rpt_origins_put(o, RPT_ORIGIN_SESSION_ID, key, sizeof(key), &org);
    }
    assert_int_equal(rpt_origins_size(o), 3);
    assert_int_equal(rpt_origins_evicted(o), 2);
    for (uint8_t k = 1; k <= 5; k++) {
        uint8_t key[4] = {k, k, k, k};
        const struct rpt_origin *got = rpt_origins_get(o, RPT_ORIGIN_SESSION_ID, key, sizeof(key));
        if (k <= 2) {
            assert_null(got);
        } else {
            assert_non_null(got);
            assert_int_equal(got->conn_id, k);
        }
        /* The same bytes as a ticket are another key. */
        assert_null(rpt_origins_get(o, RPT_ORIGIN_TICKET, key, sizeof(key)));
    }
    /* Re-issuing a key updates it in place: no eviction. */
    uint8_t key5[4] = {5, 5, 5, 5};
    org.conn_id = 9;
    rpt_origins_put(o, RPT_ORIGIN_SESSION_ID, key5, sizeof(key5), &org);
    assert_int_equal(rpt_origins_evicted(o), 2);
    assert_int_equal(rpt_origins_get(o, RPT_ORIGIN_SESSION_ID, key5, sizeof(key5))->conn_id, 9);
    rpt_origins_free(o);
}

/* At scale: the FIFO forgets exactly the oldest, the index keeps finding every survivor while
 * eviction and growth move entries around, and keys never put are not found. */
static void test_origins_fifo_at_scale(void **state)
{
    (void)state;
    enum { MAX = 30000, PUT = 100000 };
    struct rpt_origins *o = rpt_origins_new(MAX);
    for (uint32_t i = 1; i <= PUT; i++) {
        uint8_t key[32] = {0};
        memcpy(key, &i, sizeof(i));
        struct rpt_origin org = {.conn_id = i};
        /* Even keys as session IDs, odd as tickets: the kind is part of the key. */
        rpt_origins_put(o, i % 2 ? RPT_ORIGIN_TICKET : RPT_ORIGIN_SESSION_ID, key, sizeof(key),
                        &org);
    }
    assert_int_equal(rpt_origins_size(o), MAX);
    assert_int_equal(rpt_origins_evicted(o), PUT - MAX);
    for (uint32_t i = 1; i <= PUT; i++) {
        uint8_t key[32] = {0};
        memcpy(key, &i, sizeof(i));
        enum rpt_origin_kind kind = i % 2 ? RPT_ORIGIN_TICKET : RPT_ORIGIN_SESSION_ID;
        const struct rpt_origin *got = rpt_origins_get(o, kind, key, sizeof(key));
        if (i <= PUT - MAX) {
            assert_null(got);
        } else {
            assert_non_null(got);
            assert_int_equal(got->conn_id, i);
        }
        enum rpt_origin_kind other =
            kind == RPT_ORIGIN_TICKET ? RPT_ORIGIN_SESSION_ID : RPT_ORIGIN_TICKET;
        assert_null(rpt_origins_get(o, other, key, sizeof(key)));
    }
    rpt_origins_free(o);
}

/* A TLS 1.3 server's session ID is the client's echo, not a session: no origin is recorded. */
static void test_tls13_session_id_not_an_origin(void **state)
{
    (void)state;
    struct scenario *s = g_new0(struct scenario, 1);
    struct sc_conn *c1 = sc_clean(s, SC_T0);
    c1->tls.version = 0x0304;
    c1->tls.dir[0].close_notify = TLS_CN_NO;
    struct sc_conn *c2 = sc_clean(s, SC_T0 + 1000000);
    c2->tls.offered = TLS_OFFER_SESSION_ID;
    c2->tls.session_id_offered_len = 32;
    memcpy(c2->tls.session_id_offered, c1->tls.session_id, 32);
    c2->tls.resumption = TLS_RESUME_REFUSED;
    int max_sev;
    GPtrArray *findings = run_findings(s, &max_sev);
    bool found = false;
    for (guint i = 0; i < findings->len; i++) {
        JsonObject *f = json_node_get_object(g_ptr_array_index(findings, i));
        if (strcmp(json_object_get_string_member(f, "kind"), "resumption_refused") == 0) {
            found = true;
            assert_int_equal(
                json_array_get_length(json_object_get_array_member(f, "related_connections")), 0);
        }
    }
    assert_true(found);
    g_ptr_array_unref(findings);
    g_free(s);
}

static const char *line_type(JsonNode *n)
{
    return json_object_get_string_member(json_node_get_object(n), "type");
}

/* A client RST after its close_notify on each of 25 connections to one server and 4 to
 * another: the first 10 of a server get their own info tcp_reset, then one grouped finding
 * counts all 25; the small server gets no group. A connection left without findings has
 * recent_records null; one with a finding lists them. */
static void test_routine_resets_grouped(void **state)
{
    (void)state;
    struct scenario *s = g_new0(struct scenario, 1);
    for (int i = 0; i < 29; i++) {
        struct sc_conn *c = sc_clean(s, SC_T0 + (int64_t)i * 200000);
        struct cap_dir_stats *d = &c->flow.dir[CAP_DIR_CLIENT];
        d->rst_seen = true;
        d->rst_offset = d->bytes + 1;
        d->rst_ts_us = d->fin_ts_us + 5;
        if (i >= 25) {
            sc_addr4(&c->flow.server_ip, 10, 0, 0, 9);
        }
    }
    GPtrArray *lines = run_lines(s);
    int individual[2] = {0, 0};
    int groups = 0;
    int conns_with_records = 0, conns_without = 0;
    for (guint i = 0; i < lines->len; i++) {
        JsonObject *o = json_node_get_object(g_ptr_array_index(lines, i));
        const char *type = line_type(g_ptr_array_index(lines, i));
        if (strcmp(type, "connection") == 0) {
            JsonNode *rr =
                json_object_get_member(json_object_get_object_member(o, "tls"), "recent_records");
            bool has_findings =
                json_array_get_length(json_object_get_array_member(o, "findings")) > 0;
            assert_true(has_findings == !JSON_NODE_HOLDS_NULL(rr));
            conns_with_records += has_findings;
            conns_without += !has_findings;
            continue;
        }
        if (strcmp(type, "finding") != 0) {
            continue;
        }
        assert_string_equal(json_object_get_string_member(o, "kind"), "tcp_reset");
        assert_string_equal(json_object_get_string_member(o, "severity"), "info");
        if (!json_object_get_null_member(o, "connection")) {
            const char *conn = json_object_get_string_member(o, "connection");
            individual[atoi(conn + 1) > 25]++; /* C26..C29 go to the second server */
            continue;
        }
        groups++;
        JsonObject *srv = json_object_get_object_member(o, "server");
        assert_string_equal(json_object_get_string_member(srv, "ip"), "10.0.0.2");
        assert_true(g_str_has_prefix(json_object_get_string_member(o, "summary"),
                                     "25 of 25 connections to 10.0.0.2:443"));
        assert_int_equal(
            json_array_get_length(json_object_get_array_member(o, "related_connections")), 25);
        JsonObject *top =
            json_array_get_object_element(json_object_get_array_member(o, "probable_causes"), 0);
        assert_string_equal(json_object_get_string_member(top, "cause"),
                            "abortive_close_after_shutdown");
    }
    assert_int_equal(individual[0], 10);
    assert_int_equal(individual[1], 4);
    assert_int_equal(groups, 1);
    assert_int_equal(conns_with_records, 14);
    assert_int_equal(conns_without, 15);
    g_ptr_array_unref(lines);
    g_free(s);
}

/* A session ID offered alone by a client that also offers TLS 1.3 is the RFC 8446 appendix D.4
 * filler unless a connection in the capture issued it: no resumption_refused then. */
struct filler_case {
    const char *name;
    bool offers_tls13;
    bool issuer_in_capture;
    bool want_refused;
};

static const struct filler_case filler_cases[] = {
    {"tls13_client_unknown_id", true, false, false},
    {"tls12_client_unknown_id", false, false, true},
    {"tls13_client_known_id", true, true, true},
};

static void test_filler_session_id(void **state)
{
    const struct filler_case *tc = *state;
    struct scenario *s = g_new0(struct scenario, 1);
    uint8_t id[32];
    memset(id, 0x5a, sizeof(id));
    if (tc->issuer_in_capture) {
        struct sc_conn *c1 = sc_clean(s, SC_T0);
        memcpy(c1->tls.session_id, id, sizeof(id));
        c1->tls.session_id_len = sizeof(id);
    }
    struct sc_conn *c2 = sc_clean(s, SC_T0 + 1000000);
    struct tls_summary *t = &c2->tls;
    if (tc->offers_tls13) {
        t->num_client_versions = 2;
        t->client_versions[0] = 0x0304;
        t->client_versions[1] = 0x0303;
    }
    t->offered = TLS_OFFER_SESSION_ID;
    t->session_id_offered_len = sizeof(id);
    memcpy(t->session_id_offered, id, sizeof(id));
    t->resumption = TLS_RESUME_REFUSED;
    int max_sev;
    GPtrArray *findings = run_findings(s, &max_sev);
    bool refused = false;
    for (guint i = 0; i < findings->len; i++) {
        JsonObject *f = json_node_get_object(g_ptr_array_index(findings, i));
        refused |= strcmp(json_object_get_string_member(f, "kind"), "resumption_refused") == 0;
    }
    assert_int_equal(refused, tc->want_refused);
    g_ptr_array_unref(findings);
    g_free(s);
}

int main(void)
{
    GArray *tests = g_array_new(FALSE, TRUE, sizeof(struct CMUnitTest));
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_case, (void *)&cases[i]);
        t.name = cases[i].name;
        g_array_append_val(tests, t);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(rank_cases); i++) {
        struct CMUnitTest t = cmocka_unit_test_prestate(test_rank, (void *)&rank_cases[i]);
        t.name = rank_cases[i].name;
        g_array_append_val(tests, t);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(filler_cases); i++) {
        struct CMUnitTest t =
            cmocka_unit_test_prestate(test_filler_session_id, (void *)&filler_cases[i]);
        t.name = filler_cases[i].name;
        g_array_append_val(tests, t);
    }
    const struct CMUnitTest more[] = {
        cmocka_unit_test(test_routine_resets_grouped),
        cmocka_unit_test(test_storm_details),
        cmocka_unit_test(test_no_storm_when_slow),
        cmocka_unit_test(test_cause_table),
        cmocka_unit_test(test_origins_bounded),
        cmocka_unit_test(test_origins_fifo_at_scale),
        cmocka_unit_test(test_tls13_session_id_not_an_origin),
    };
    g_array_append_vals(tests, more, G_N_ELEMENTS(more));
    int rc = _cmocka_run_group_tests("report_findings", (struct CMUnitTest *)tests->data,
                                     tests->len, NULL, NULL);
    g_array_free(tests, TRUE);
    return rc;
}
