/* The reporter on real captures: each samples/lab capture goes through capture, dissect and
 * report (wired here as the CLI wires them) and the findings and server aggregates read back from
 * the JSON document must match what is true in the capture by construction (samples/lab/README.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "report.h"

struct lab_case {
    const char *name;
    const char *file;
    int connections;
    const char *kinds;      /* finding kinds in order, space-separated */
    const char *check_kind; /* the first finding of this kind is checked; NULL: the first */
    const char *top_cause;  /* of that finding, or NULL */
    const char *why_contains;
    int full_handshakes, resumed; /* of the only server */
};

/* Files under samples/; what is true in each is in samples/lab/README.md and samples/truth.json. */
static const struct lab_case cases[] = {
    {"cap_clean_and_resumed", "lab/cap.pcap", 6, "", NULL, NULL, NULL, 3, 3},
    {"alert_protocol_version", "lab/alert.pcap", 1, "fatal_alert", NULL, "version_mismatch",
     "TLS 1.3", 0, 0},
    {"gap_capture_loss", "lab/gap.pcap", 1, "stream_gap", NULL, "capture_loss", "acknowledged", 1,
     0},
    {"big_clean", "lab/big.pcap", 1, "", NULL, NULL, NULL, 1, 0},
    {"dropped_444", "tls12-dropped-444.pcap", 1, "fatal_alert record_desync", NULL,
     "bytes_missing_in_stream", "about 444 bytes missing", 1, 0},
    {"dropped_444_server_leg", "tls12-dropped-444-serverleg.pcap", 1, "", NULL, NULL, NULL, 1, 0},
    {"java_unclean_refused", "java-unclean-refused.pcap", 2,
     "tcp_reset unclean_close resumption_refused", "resumption_refused", "prior_unclean_close",
     "C1 ended without close_notify", 2, 0},
    {"sessid_refused_after_restart", "tls12-sessid-resume.pcap", 3, "resumption_refused", NULL,
     "server_cache_miss", "C2 closed cleanly", 2, 1},
    {"no_shared_cipher", "tls12-no-shared-cipher.pcap", 1, "fatal_alert", NULL, "cipher_mismatch",
     "before any ServerHello", 0, 0},
    {"unknown_ca", "tls12-unknown-ca.pcap", 1, "fatal_alert", NULL, "certificate_rejected",
     "unknown_ca", 0, 0},
    {"download_loss", "tls12-download-loss.pcap", 1, "stream_gap", NULL, "capture_loss",
     "acknowledged", 1, 0},
    {"tls13_clean", "tls13-clean.pcap", 1, "", NULL, NULL, NULL, 1, 0},
};

struct run {
    struct cap_flow_table *table;
    struct rpt_ctx *rpt;
    struct tls_config tc;
    uint64_t packets;
    int64_t first_ts, last_ts;
    uint64_t skipped[CAP_SKIP_COUNT];
};

static void on_open(void *user, struct cap_flow *f)
{
    struct run *r = user;
    cap_flow_set_user(f, tls_conn_new(&r->tc));
}

static void on_data(void *user, struct cap_flow *f, enum cap_dir dir, uint64_t offset,
                    const uint8_t *data, size_t len, int64_t ts_us)
{
    (void)user;
    struct tls_conn *c = cap_flow_get_user(f);
    tls_conn_data(c, dir, offset, data, len, ts_us);
    enum cap_dir ch;
    if (cap_flow_get_summary(f)->roles == CAP_ROLE_PORT && tls_conn_client_hello_dir(c, &ch) &&
        ch != CAP_DIR_CLIENT && cap_flow_set_client(f, ch)) {
        tls_conn_swap_dirs(c);
    }
}

static void on_gap(void *user, struct cap_flow *f, enum cap_dir dir, const struct cap_gap *g)
{
    (void)user;
    tls_conn_gap(cap_flow_get_user(f), dir, g->offset, g->len, g->ts_us);
}

static void on_close(void *user, struct cap_flow *f)
{
    struct run *r = user;
    struct tls_conn *c = cap_flow_get_user(f);
    const struct cap_flow_summary *s = cap_flow_get_summary(f);
    tls_conn_finish(c, s);
    struct rpt_connection rc = {.flow = s, .tls = tls_conn_get_summary(c)};
    rpt_add_connection(r->rpt, &rc);
    tls_conn_free(c);
}

static void on_packet(void *user, const struct cap_packet *p)
{
    struct run *r = user;
    struct cap_segment seg;
    enum cap_skip_reason why;
    r->packets++;
    if (!r->first_ts) {
        r->first_ts = p->ts_us;
    }
    r->last_ts = p->ts_us;
    if (!cap_decode(p->linktype, p->data, p->caplen, false, &seg, &why)) {
        r->skipped[why]++;
        return;
    }
    seg.ts_us = p->ts_us;
    seg.pkt_index = r->packets;
    cap_flow_table_add(r->table, &seg);
}

static JsonNode *report_capture(const char *file)
{
    char *path = g_strdup_printf("%s/samples/%s", TLSSCOPE_SOURCE_DIR, file);
    char *out = g_strdup_printf("%s/test_report_lab-%d.json", TLSSCOPE_BINARY_DIR, (int)getpid());
    struct run r = {0};
    tls_config_defaults(&r.tc);
    struct rpt_options o;
    rpt_options_defaults(&o);
    o.json_path = out;
    GError *err = NULL;
    r.rpt = rpt_new(&o, &err);
    assert_non_null(r.rpt);
    struct cap_flow_config fc;
    cap_flow_config_defaults(&fc);
    struct cap_stream_events ev = {
        .on_open = on_open, .on_data = on_data, .on_gap = on_gap, .on_close = on_close};
    r.table = cap_flow_table_new(&fc, &ev, &r);
    const char *paths[] = {path};
    struct cap_source *src = cap_source_open_files(paths, 1, NULL, &err);
    assert_non_null(src);
    enum cap_source_status st;
    while ((st = cap_source_dispatch(src, 0, on_packet, &r, &err)) == CAP_SOURCE_OK) {
    }
    assert_int_equal(st, CAP_SOURCE_EOF);
    cap_flow_table_finish(r.table);
    struct cap_source_stats ss;
    cap_source_get_stats(src, &ss);
    struct cap_table_stats ts;
    cap_flow_table_get_stats(r.table, &ts);
    struct rpt_capture_info info = {.num_sources = 1,
                                    .sources = paths,
                                    .source = &ss,
                                    .table = &ts,
                                    .first_ts_us = r.first_ts,
                                    .last_ts_us = r.last_ts};
    memcpy(info.skipped, r.skipped, sizeof(info.skipped));
    assert_true(rpt_finish(r.rpt, &info, &err));
    rpt_free(r.rpt);
    cap_flow_table_free(r.table);
    cap_source_free(src);
    char *text = NULL;
    assert_true(g_file_get_contents(out, &text, NULL, NULL));
    unlink(out);
    JsonNode *root = json_from_string(text, &err);
    assert_non_null(root);
    g_free(text);
    g_free(out);
    g_free(path);
    return root;
}

static void test_case(void **state)
{
    const struct lab_case *tc = *state;
    JsonNode *root = report_capture(tc->file);
    JsonObject *doc = json_node_get_object(root);
    assert_int_equal(json_array_get_length(json_object_get_array_member(doc, "connections")),
                     tc->connections);
    JsonArray *findings = json_object_get_array_member(doc, "findings");
    GString *kinds = g_string_new(NULL);
    for (guint i = 0; i < json_array_get_length(findings); i++) {
        JsonObject *f = json_array_get_object_element(findings, i);
        g_string_append_printf(kinds, "%s%s", i ? " " : "",
                               json_object_get_string_member(f, "kind"));
    }
    assert_string_equal(kinds->str, tc->kinds);
    g_string_free(kinds, TRUE);
    if (tc->top_cause) {
        JsonObject *f = NULL;
        for (guint i = 0; i < json_array_get_length(findings) && !f; i++) {
            JsonObject *g = json_array_get_object_element(findings, i);
            if (!tc->check_kind ||
                strcmp(json_object_get_string_member(g, "kind"), tc->check_kind) == 0) {
                f = g;
            }
        }
        assert_non_null(f);
        JsonObject *top =
            json_array_get_object_element(json_object_get_array_member(f, "probable_causes"), 0);
        assert_string_equal(json_object_get_string_member(top, "cause"), tc->top_cause);
        const char *why = json_object_get_string_member(top, "why");
        if (!strstr(why, tc->why_contains)) {
            fail_msg("why \"%s\" lacks \"%s\"", why, tc->why_contains);
        }
    }
    JsonArray *servers = json_object_get_array_member(doc, "servers");
    assert_int_equal(json_array_get_length(servers), 1);
    JsonObject *s = json_array_get_object_element(servers, 0);
    assert_int_equal(json_object_get_int_member(s, "full_handshakes"), tc->full_handshakes);
    assert_int_equal(json_object_get_int_member(s, "resumed"), tc->resumed);
    assert_int_equal(json_object_get_int_member(s, "connections"), tc->connections);
    json_node_unref(root);
}

int main(void)
{
    struct CMUnitTest tests[G_N_ELEMENTS(cases)];
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_case, (void *)&cases[i]);
        tests[i].name = cases[i].name;
    }
    return _cmocka_run_group_tests("report_lab", tests, G_N_ELEMENTS(cases), NULL, NULL);
}
