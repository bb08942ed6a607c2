/* The reporter on real captures: each samples/lab capture goes through capture, dissect and
 * report (the engine, as the CLI runs it) and the findings and server aggregates read back from
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

#include "engine.h"

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

static JsonNode *report_capture(const char *file)
{
    char *path = g_strdup_printf("%s/samples/%s", TLSSCOPE_SOURCE_DIR, file);
    char *out = g_strdup_printf("%s/test_report_lab-%d.json", TLSSCOPE_BINARY_DIR, (int)getpid());
    struct rpt_options o;
    rpt_options_defaults(&o);
    o.json_path = out;
    GError *err = NULL;
    struct rpt_ctx *rpt = rpt_new(&o, &err);
    assert_non_null(rpt);
    struct eng_options eo;
    eng_options_defaults(&eo);
    struct engine *e = eng_new(&eo, rpt, NULL, NULL, NULL);
    const char *paths[] = {path};
    struct cap_source *src = cap_source_open_files(paths, 1, NULL, &err);
    assert_non_null(src);
    assert_true(eng_read_all(e, src, &err));
    struct eng_capture_info ci;
    eng_capture_info(e, src, &ci);
    ci.info.num_sources = 1;
    ci.info.sources = paths;
    assert_true(rpt_finish(rpt, &ci.info, &err));
    rpt_free(rpt);
    eng_free(e);
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
