/* JSON writers: every scenario is reported to a JSON document, an NDJSON stream and a text
 * summary; the document is parsed back with json-glib and its fields checked, both outputs are
 * validated against docs/report-schema.json (skipped when python3-jsonschema is missing), the
 * NDJSON must carry the same connections and findings as the document, and a second run must
 * give byte-identical files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "report_scenarios.h"

struct json_case {
    const char *name;
    void (*build)(struct scenario *);
    size_t servers;
};

static void sc_hostile_strings(struct scenario *s)
{
    struct sc_conn *c = sc_clean(s, SC_T0);
    /* Bytes from the wire: invalid UTF-8, a control character, a quote and a backslash. */
    static const char sni[] = "bad\xff\xfe\x01\"\\name";
    memcpy(c->tls.sni, sni, sizeof(sni));
    c->tls.num_alpn = 1;
    c->tls.alpn = c->alpn;
    memcpy(c->tls.alpn[0], "h2\xc3", 4);
    static struct tls_certificate cert;
    memset(&cert, 0, sizeof(cert));
    cert.present = true;
    strcpy(cert.subject, "CN=test.local");
    strcpy(cert.issuer, "CN=\xe9vil");
    cert.not_before = -86400; /* before 1970 */
    cert.not_after = 4102444800LL;
    c->tls.cert = &cert;
    c->tls.version = 0x0999; /* a version with no name */
    c->tls.cipher = 0xfefe;
}

/* Connections end in another order than they began: the document lists them as they ended. */
static void sc_out_of_order(struct scenario *s)
{
    sc_clean(s, SC_T0);
    sc_clean(s, SC_T0 + 1000);
    sc_clean(s, SC_T0 + 2000);
    struct sc_conn tmp = s->conns[0];
    s->conns[0] = s->conns[2];
    s->conns[2] = tmp;
    s->conns[1].has_tls = false; /* a plain TCP connection */
    struct cap_addr other;
    sc_addr4(&other, 10, 0, 0, 3);
    s->conns[1].flow.server_ip = other;
}

static const struct json_case cases[] = {
    {"clean", sc_clean_one, 1},
    {"version_mismatch", sc_version_mismatch, 1},
    {"desync_444", sc_desync_444, 1},
    {"gap", sc_gap, 1},
    {"incons", sc_incons, 1},
    {"ttl_change", sc_ttl_change, 1},
    {"resumption", sc_resumption, 1},
    {"storm", sc_storm, 1},
    {"hostile_strings", sc_hostile_strings, 1},
    {"out_of_order", sc_out_of_order, 2},
};

struct outputs {
    char *doc;
    char *ndjson;
    char *text;
};

static char *path_for(const char *name, const char *what, int run)
{
    return g_strdup_printf("%s/test_report_json-%d-%s-%d.%s", TLSSCOPE_BINARY_DIR, (int)getpid(),
                           name, run, what);
}

static void run(const struct scenario *s, const char *name, int run_no, bool colour,
                bool keep_defaults, struct outputs *out)
{
    char *doc = path_for(name, "json", run_no);
    char *nd = path_for(name, "ndjson", run_no);
    char *text = NULL;
    size_t text_len = 0;
    FILE *tf = open_memstream(&text, &text_len);
    assert_non_null(tf);
    struct rpt_options o;
    rpt_options_defaults(&o);
    o.json_path = doc;
    o.ndjson_path = nd;
    o.text_out = tf;
    o.color = colour;
    o.keep_defaults = keep_defaults;
    o.version = "9.9.9-test";
    GError *err = NULL;
    struct rpt_ctx *r = rpt_new(&o, &err);
    assert_non_null(r);
    sc_feed(r, s);
    /* Until rpt_finish renames it into place, the document does not exist under its name. */
    assert_int_not_equal(access(doc, F_OK), 0);

    const char *sources[] = {"a.pcap", "b.pcapng"};
    struct cap_source_stats src = {
        .packets = 1234, .bytes = 567890, .num_linktypes = 1, .linktypes = {1}};
    struct cap_table_stats tab = {.flows_total = s->num, .flows_peak = 3};
    struct rpt_capture_info info = {.num_sources = 2,
                                    .sources = sources,
                                    .source = &src,
                                    .table = &tab,
                                    .first_ts_us = SC_T0,
                                    .last_ts_us = SC_T0 + 2000000};
    info.skipped[CAP_SKIP_NOT_TCP] = 7;
    assert_true(rpt_finish(r, &info, &err));
    rpt_free(r);
    fclose(tf);
    /* The report gets the mode a plain fopen would give it, not mkstemp's 0600. */
    struct stat st;
    assert_int_equal(stat(doc, &st), 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
    assert_true(g_file_get_contents(doc, &out->doc, NULL, NULL));
    assert_true(g_file_get_contents(nd, &out->ndjson, NULL, NULL));
    out->text = text;
    unlink(doc);
    unlink(nd);
    g_free(doc);
    g_free(nd);
}

static void outputs_free(struct outputs *o)
{
    g_free(o->doc);
    g_free(o->ndjson);
    free(o->text);
}

/* Validates the document and each NDJSON line with python3's jsonschema. Returns false when the
 * validator is unavailable (the caller skips). */
static bool schema_validate(const char *name, const struct outputs *o)
{
    if (access("/usr/bin/python3", X_OK) != 0 ||
        system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") != 0) {
        return false;
    }
    char *doc = path_for(name, "schema.json", 0);
    char *nd = path_for(name, "schema.ndjson", 0);
    assert_true(g_file_set_contents(doc, o->doc, -1, NULL));
    assert_true(g_file_set_contents(nd, o->ndjson, -1, NULL));
    char *cmd = g_strdup_printf(
        "/usr/bin/python3 -c '"
        "import json, sys, jsonschema\n"
        "s = json.load(open(sys.argv[1]))\n"
        "jsonschema.Draft202012Validator.check_schema(s)\n"
        "jsonschema.Draft202012Validator(s).validate(json.load(open(sys.argv[2])))\n"
        "ls = {\"$schema\": s[\"$schema\"], \"$defs\": s[\"$defs\"], \"$ref\": "
        "\"#/$defs/ndjson_line\"}\n"
        "v = jsonschema.Draft202012Validator(ls)\n"
        "n = 0\n"
        "for line in open(sys.argv[3]):\n"
        "    v.validate(json.loads(line)); n += 1\n"
        "assert n > 0\n"
        "' %s/docs/report-schema.json %s %s",
        TLSSCOPE_SOURCE_DIR, doc, nd);
    int rc = system(cmd);
    g_free(cmd);
    unlink(doc);
    unlink(nd);
    g_free(doc);
    g_free(nd);
    assert_true(WIFEXITED(rc));
    assert_int_equal(WEXITSTATUS(rc), 0);
    return true;
}

static JsonNode *parse(const char *text)
{
    GError *err = NULL;
    JsonNode *n = json_from_string(text, &err);
    if (!n) {
        fail_msg("not JSON: %s", err ? err->message : "?");
    }
    return n;
}

/* Compact form of a node, for comparing an NDJSON object with the document's. */
static char *compact(JsonNode *n)
{
    return json_to_string(n, FALSE);
}

static void check_document(const struct json_case *tc, const struct scenario *s, JsonObject *doc)
{
    /* Fixed top-level order: connections are streamed, so what is known only at the end
     * follows them. */
    GList *members = json_object_get_members(doc);
    const char *want[] = {"tlsscope", "connections", "servers", "findings", "capture", "summary"};
    size_t i = 0;
    for (GList *l = members; l; l = l->next, i++) {
        assert_true(i < G_N_ELEMENTS(want));
        assert_string_equal(l->data, want[i]);
    }
    assert_int_equal(i, G_N_ELEMENTS(want));
    g_list_free(members);

    assert_string_equal(
        json_object_get_string_member(json_object_get_object_member(doc, "tlsscope"), "version"),
        "9.9.9-test");
    JsonObject *cap = json_object_get_object_member(doc, "capture");
    assert_int_equal(json_object_get_int_member(cap, "packets"), 1234);
    assert_string_equal(json_object_get_string_member(cap, "first_ts"),
                        "2026-11-23T12:00:00.000000Z");
    assert_string_equal(json_object_get_string_member(cap, "last_ts"),
                        "2026-11-23T12:00:02.000000Z");
    assert_int_equal(
        json_object_get_int_member(json_object_get_object_member(cap, "skipped"), "not_tcp"), 7);
    assert_int_equal(json_array_get_length(json_object_get_array_member(cap, "sources")), 2);

    JsonArray *conns = json_object_get_array_member(doc, "connections");
    JsonArray *findings = json_object_get_array_member(doc, "findings");
    assert_int_equal(json_array_get_length(conns), s->num);
    assert_int_equal(json_array_get_length(json_object_get_array_member(doc, "servers")),
                     tc->servers);

    GHashTable *finding_conn = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint k = 0; k < json_array_get_length(findings); k++) {
        JsonObject *f = json_array_get_object_element(findings, k);
        char want_id[24];
        g_snprintf(want_id, sizeof(want_id), "F%u", k + 1);
        assert_string_equal(json_object_get_string_member(f, "id"), want_id);
        g_hash_table_insert(finding_conn, (gpointer)json_object_get_string_member(f, "id"),
                            (gpointer)(json_object_get_null_member(f, "connection")
                                           ? ""
                                           : json_object_get_string_member(f, "connection")));
    }
    for (guint k = 0; k < json_array_get_length(conns); k++) {
        JsonObject *c = json_array_get_object_element(conns, k);
        /* In the order they were added (ended), not sorted by id. */
        const struct sc_conn *sc = &s->conns[k];
        char want_id[24];
        g_snprintf(want_id, sizeof(want_id), "C%" G_GUINT64_FORMAT, sc->flow.id);
        assert_string_equal(json_object_get_string_member(c, "id"), want_id);
        JsonObject *client = json_object_get_object_member(c, "client");
        assert_string_equal(json_object_get_string_member(client, "ip"), "10.0.0.1");
        assert_int_equal(json_object_get_int_member(client, "port"), sc->flow.client_port);
        char ts[32];
        assert_string_equal(json_object_get_string_member(c, "start"),
                            rpt_format_ts(sc->flow.first_ts_us, ts, sizeof(ts)));
        JsonObject *tcp = json_object_get_object_member(c, "tcp");
        assert_true(json_object_get_int_member(tcp, "rtt_us") == 500);
        /* The scenario's SYN-ACK comes halfway: neither end is near the capture point. */
        assert_int_equal(json_object_get_int_member(tcp, "rtt_server_side_us"), 250);
        assert_int_equal(json_object_get_int_member(tcp, "rtt_client_side_us"), 250);
        assert_true(json_object_get_null_member(tcp, "capture_near"));
        JsonObject *tcp_server = json_object_get_object_member(tcp, "server");
        assert_int_equal(json_object_get_int_member(tcp_server, "bytes"), sc->flow.dir[1].bytes);
        assert_int_equal(json_array_get_length(json_object_get_array_member(tcp_server, "gaps")),
                         sc->flow.dir[1].num_gaps);
        if (!sc->has_tls) {
            assert_true(json_object_get_null_member(c, "tls"));
        } else {
            JsonObject *tls = json_object_get_object_member(c, "tls");
            const char *v = json_object_get_string_member(tls, "version");
            if (sc->tls.version == 0x0303) {
                assert_string_equal(v, "TLS 1.2");
                assert_string_equal(json_object_get_string_member(tls, "cipher"),
                                    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
            } else if (sc->tls.version == 0x0999) {
                assert_string_equal(v, "0x0999");
            }
            JsonObject *res = json_object_get_object_member(tls, "resumption");
            if (sc->tls.session_id_len) {
                assert_int_equal(strlen(json_object_get_string_member(res, "session_id")), 64);
            }
            assert_int_equal(json_array_get_length(json_object_get_array_member(tls, "alerts")),
                             sc->tls.num_alerts);
        }
        /* Each finding a connection names is about that connection. */
        JsonArray *ids = json_object_get_array_member(c, "findings");
        for (guint j = 0; j < json_array_get_length(ids); j++) {
            const char *about =
                g_hash_table_lookup(finding_conn, json_array_get_string_element(ids, j));
            assert_non_null(about);
            assert_string_equal(about, want_id);
        }
    }
    g_hash_table_destroy(finding_conn);

    JsonObject *sum = json_object_get_object_member(doc, "summary");
    assert_int_equal(json_object_get_int_member(sum, "connections"), s->num);
    JsonObject *fs = json_object_get_object_member(sum, "findings");
    assert_int_equal(json_object_get_int_member(fs, "total"), json_array_get_length(findings));
}

/* The NDJSON stream carries exactly the document's connections and findings (in the order made,
 * with "type" first), then the servers and one summary with the capture section. */
static void check_ndjson(const struct outputs *o, JsonObject *doc)
{
    GHashTable *want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    JsonArray *conns = json_object_get_array_member(doc, "connections");
    JsonArray *findings = json_object_get_array_member(doc, "findings");
    for (guint k = 0; k < json_array_get_length(conns); k++) {
        g_hash_table_add(want, compact(json_array_get_element(conns, k)));
    }
    for (guint k = 0; k < json_array_get_length(findings); k++) {
        g_hash_table_add(want, compact(json_array_get_element(findings, k)));
    }
    char **lines = g_strsplit(o->ndjson, "\n", -1);
    guint n_conn = 0, n_find = 0, n_server = 0, n_summary = 0;
    for (char **l = lines; *l && **l; l++) {
        assert_true(g_str_has_prefix(*l, "{\"type\":\""));
        JsonNode *n = parse(*l);
        JsonObject *obj = json_node_get_object(n);
        char *type = g_strdup(json_object_get_string_member(obj, "type"));
        json_object_remove_member(obj, "type");
        if (strcmp(type, "connection") == 0 || strcmp(type, "finding") == 0) {
            char *c = compact(n);
            if (!g_hash_table_remove(want, c)) {
                fail_msg("NDJSON %s not in the document: %.200s", type, c);
            }
            g_free(c);
            n_conn += type[0] == 'c';
            n_find += type[0] == 'f';
        } else if (strcmp(type, "server") == 0) {
            assert_int_equal(n_summary, 0);
            n_server++;
        } else {
            assert_string_equal(type, "summary");
            assert_true(json_object_has_member(obj, "capture"));
            n_summary++;
        }
        g_free(type);
        json_node_unref(n);
    }
    g_strfreev(lines);
    assert_int_equal(g_hash_table_size(want), 0);
    assert_int_equal(n_conn, json_array_get_length(conns));
    assert_int_equal(n_find, json_array_get_length(findings));
    assert_int_equal(n_server, json_array_get_length(json_object_get_array_member(doc, "servers")));
    assert_int_equal(n_summary, 1);
    g_hash_table_destroy(want);
}

/* Members whose value is written whatever it is: round trips (absent: not measured) and ports;
 * resync_offset is written when not null (absent: null). */
static const char *const ALWAYS_WRITTEN[] = {"rtt_us", "rtt_server_side_us", "rtt_client_side_us",
                                             "capture_near", "port"};
/* Objects whose absence reads as null, so an empty one stays. */
static const char *const NULLABLE_OBJECTS[] = {"tls", "starttls", "certificate", "recent_records",
                                               "fin", "rst"};

static bool name_in(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(name, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool is_default(const char *name, JsonNode *v)
{
    if (name_in(name, ALWAYS_WRITTEN, G_N_ELEMENTS(ALWAYS_WRITTEN))) {
        return false;
    }
    if (JSON_NODE_HOLDS_NULL(v)) {
        return true;
    }
    if (strcmp(name, "resync_offset") == 0) {
        return false;
    }
    if (JSON_NODE_HOLDS_ARRAY(v)) {
        return json_array_get_length(json_node_get_array(v)) == 0;
    }
    if (JSON_NODE_HOLDS_OBJECT(v)) {
        return json_object_get_size(json_node_get_object(v)) == 0 &&
               !name_in(name, NULLABLE_OBJECTS, G_N_ELEMENTS(NULLABLE_OBJECTS));
    }
    GType t = json_node_get_value_type(v);
    return (t == G_TYPE_BOOLEAN && !json_node_get_boolean(v)) ||
           (t == G_TYPE_INT64 && json_node_get_int(v) == 0);
}

/* The rule of docs/report-schema.json's connection, applied to a --keep-defaults object: members
 * holding their default are removed, innermost first. */
static void drop_defaults(JsonObject *o)
{
    GList *members = json_object_get_members(o);
    for (GList *l = members; l; l = l->next) {
        JsonNode *v = json_object_get_member(o, l->data);
        if (JSON_NODE_HOLDS_OBJECT(v)) {
            drop_defaults(json_node_get_object(v));
        } else if (JSON_NODE_HOLDS_ARRAY(v)) {
            JsonArray *a = json_node_get_array(v);
            for (guint i = 0; i < json_array_get_length(a); i++) {
                JsonNode *e = json_array_get_element(a, i);
                if (JSON_NODE_HOLDS_OBJECT(e)) {
                    drop_defaults(json_node_get_object(e));
                }
            }
        }
        if (is_default(l->data, v)) {
            json_object_remove_member(o, l->data);
        }
    }
    g_list_free(members);
}

/* Every connection of the default document is the --keep-defaults one with its defaults
 * dropped, and nothing else in the document differs. */
static void check_defaults_left_out(JsonObject *full_doc, const char *compact_text)
{
    JsonNode *want_root = json_node_copy(json_object_get_member(full_doc, "connections"));
    JsonArray *want = json_node_get_array(want_root);
    for (guint i = 0; i < json_array_get_length(want); i++) {
        drop_defaults(json_array_get_object_element(want, i));
    }
    JsonNode *got_root = parse(compact_text);
    JsonObject *got_doc = json_node_get_object(got_root);
    char *want_s = compact(want_root);
    char *got_s = compact(json_object_get_member(got_doc, "connections"));
    assert_string_equal(got_s, want_s);
    /* The rest of the document is the same in both forms. */
    json_object_remove_member(got_doc, "connections");
    JsonNode *full_copy = json_node_alloc();
    json_node_init_object(full_copy, full_doc);
    full_copy = json_node_copy(full_copy);
    json_object_remove_member(json_node_get_object(full_copy), "connections");
    char *a = compact(full_copy), *b = compact(got_root);
    assert_string_equal(a, b);
    g_free(a);
    g_free(b);
    json_node_unref(full_copy);
    g_free(want_s);
    g_free(got_s);
    json_node_unref(got_root);
    json_node_unref(want_root);
}

static void test_case(void **state)
{
    const struct json_case *tc = *state;
    struct scenario *s = g_new0(struct scenario, 1);
    tc->build(s);
    struct outputs a = {0}, b = {0};
    run(s, tc->name, 1, false, true, &a);
    run(s, tc->name, 2, false, true, &b);
    /* Deterministic: same input, byte-identical outputs. */
    assert_string_equal(a.doc, b.doc);
    assert_string_equal(a.ndjson, b.ndjson);
    assert_string_equal(a.text, b.text);

    JsonNode *root = parse(a.doc);
    check_document(tc, s, json_node_get_object(root));
    check_ndjson(&a, json_node_get_object(root));
    /* One connection per line inside the outer document. */
    char **lines = g_strsplit(a.doc, "\n", -1);
    guint conn_lines = 0;
    for (char **l = lines; *l; l++) {
        conn_lines += g_str_has_prefix(*l, "    {\"id\":\"C");
    }
    g_strfreev(lines);
    assert_int_equal(conn_lines, s->num);
    assert_null(strchr(a.text, '\033'));
    /* The default output: each connection is the full one without its default members. */
    struct outputs c = {0};
    run(s, tc->name, 3, false, false, &c);
    check_defaults_left_out(json_node_get_object(root), c.doc);
    json_node_unref(root);
    bool validated = schema_validate(tc->name, &a) && schema_validate(tc->name, &c);
    outputs_free(&a);
    outputs_free(&b);
    outputs_free(&c);
    g_free(s);
    if (!validated) {
        skip();
    }
}

/* The text summary: counts first, errors before warnings, the connection and top cause on each
 * line and where to look in the JSON; colour only when asked for. */
static void test_text_summary(void **state)
{
    (void)state;
    struct scenario *s = g_new0(struct scenario, 1);
    sc_resumption(s); /* C1 unclean close + reset, C2 refused resumption (warnings) */
    sc_desync_444(s); /* C3 fatal alert (error) */
    struct outputs a = {0}, c = {0};
    run(s, "text", 1, false, false, &a);
    run(s, "text", 2, true, false, &c);
    if (!g_str_has_prefix(a.text, "tlsscope: 3 connections (3 TLS, 1 failed, 0 uncertain);")) {
        fail_msg("summary starts: %.80s", a.text);
    }
    char **lines = g_strsplit(a.text, "\n", -1);
    assert_true(g_str_has_prefix(lines[1], "error"));
    assert_non_null(strstr(lines[1], "C3"));
    assert_non_null(strstr(lines[1], "top cause: bytes_missing_in_stream, high"));
    assert_non_null(strstr(lines[1], "see connections[2] / findings["));
    bool saw_resumption = false, saw_warning = false;
    for (char **l = lines + 2; *l && **l; l++) {
        /* Severity never rises down the list. */
        if (saw_warning) {
            assert_false(g_str_has_prefix(*l, "error"));
        }
        saw_warning |= g_str_has_prefix(*l, "warning");
        if (strstr(*l, "resumption_refused")) {
            saw_resumption = true;
            assert_non_null(strstr(*l, "prior_unclean_close"));
            assert_non_null(strstr(*l, "see connections[1]"));
        }
    }
    assert_true(saw_resumption);
    assert_true(saw_warning);
    g_strfreev(lines);
    fputs(a.text, stderr);
    assert_null(strchr(a.text, '\033'));
    assert_non_null(strstr(c.text, "\033[1;31merror"));
    outputs_free(&a);
    outputs_free(&c);
    g_free(s);
}

/* A reporter freed without finishing leaves neither the document nor its temporary file. */
static void test_abandoned_leaves_nothing(void **state)
{
    (void)state;
    char *dir =
        g_strdup_printf("%s/test_report_json-%d-abandon", TLSSCOPE_BINARY_DIR, (int)getpid());
    assert_int_equal(g_mkdir_with_parents(dir, 0700), 0);
    char *doc = g_strdup_printf("%s/report.json", dir);
    struct rpt_options o;
    rpt_options_defaults(&o);
    o.json_path = doc;
    struct scenario *s = g_new0(struct scenario, 1);
    sc_clean_one(s);
    GError *err = NULL;
    struct rpt_ctx *r = rpt_new(&o, &err);
    assert_non_null(r);
    sc_feed(r, s);
    rpt_free(r);
    GDir *d = g_dir_open(dir, 0, NULL);
    assert_non_null(d);
    assert_null(g_dir_read_name(d)); /* empty */
    g_dir_close(d);
    assert_int_equal(rmdir(dir), 0);
    /* An output that cannot be created is an error from rpt_new. */
    o.json_path = "/nonexistent-dir/report.json";
    assert_null(rpt_new(&o, &err));
    assert_non_null(err);
    g_clear_error(&err);
    g_free(s);
    g_free(doc);
    g_free(dir);
}

/* The per-server table is capped: a scan meets a new server per connection. The first servers
 * keep their aggregates, connections to the rest are counted, and the output says so. */
static void test_server_cap(void **state)
{
    (void)state;
    char *doc =
        g_strdup_printf("%s/test_report_json-%d-servers.json", TLSSCOPE_BINARY_DIR, (int)getpid());
    struct rpt_options o;
    rpt_options_defaults(&o);
    o.json_path = doc;
    o.max_servers = 3;
    struct scenario *s = g_new0(struct scenario, 1);
    for (int i = 0; i < 5; i++) {
        struct sc_conn *c = sc_clean(s, SC_T0 + i * 1000000);
        sc_addr4(&c->flow.server_ip, 10, 0, 1, (uint8_t)(i < 4 ? i + 1 : 1)); /* 5th: server 1 */
    }
    GError *err = NULL;
    struct rpt_ctx *r = rpt_new(&o, &err);
    assert_non_null(r);
    sc_feed(r, s);
    struct rpt_capture_info info = {0};
    assert_true(rpt_finish(r, &info, &err));
    rpt_free(r);
    JsonParser *p = json_parser_new();
    assert_true(json_parser_load_from_file(p, doc, NULL));
    JsonObject *root = json_node_get_object(json_parser_get_root(p));
    JsonArray *servers = json_object_get_array_member(root, "servers");
    assert_int_equal(json_array_get_length(servers), 3);
    JsonObject *first = json_array_get_object_element(servers, 0);
    assert_int_equal(json_object_get_int_member(first, "connections"), 2);
    JsonObject *sum = json_object_get_object_member(root, "summary");
    assert_int_equal(json_object_get_int_member(sum, "servers_tracked"), 3);
    assert_int_equal(json_object_get_int_member(sum, "connections_to_untracked_servers"), 1);
    assert_int_equal(json_object_get_int_member(sum, "connections"), 5);
    g_object_unref(p);
    unlink(doc);
    g_free(doc);
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
    const struct CMUnitTest more[] = {
        cmocka_unit_test(test_text_summary),
        cmocka_unit_test(test_abandoned_leaves_nothing),
        cmocka_unit_test(test_server_cap),
    };
    g_array_append_vals(tests, more, G_N_ELEMENTS(more));
    int rc = _cmocka_run_group_tests("report_json", (struct CMUnitTest *)tests->data, tests->len,
                                     NULL, NULL);
    g_array_free(tests, TRUE);
    return rc;
}
