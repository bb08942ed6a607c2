/* The report's streaming JSON writer (report/json_writer.c) prints exactly what json-glib's
 * JsonGenerator prints for the same values (compact), so reports did not change when it replaced
 * JsonBuilder: strings with every kind of escape and UTF-8, numbers, and nesting. Where json-glib
 * 1.6 is wrong (it drops U+001F and prints exponent doubles as "1e+21.0", which is not JSON),
 * the writer's text is checked by reading it back instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <json-glib/json-glib.h>

#include "json_internal.h"

static const char *const STRINGS[] = {
    "",
    "plain",
    "quote \" here",
    "back\\slash",
    "tab\tnewline\ncr\rbs\bff\f",
    "\x01\x02\x1e control",
    "del \x7f",
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92",
    "slash /",
    "</script>",
};
static const double DOUBLES[] = {0, 3.0, 0.004, 1.5, -2.25, 123456.789, 0.1, 100.0};
static const int64_t INTS[] = {0, 1, -1, INT64_MAX, INT64_MIN, 1795435200000000LL};

static char *glib_text(JsonBuilder *b)
{
    JsonNode *root = json_builder_get_root(b);
    JsonGenerator *g = json_generator_new();
    json_generator_set_root(g, root);
    char *s = json_generator_to_data(g, NULL);
    g_object_unref(g);
    json_node_unref(root);
    g_object_unref(b);
    return s;
}

static void test_same_text_as_json_glib(void **state)
{
    (void)state;
    JsonBuilder *b = json_builder_new();
    struct rpt_jw *w = rpt_jw_new();
    json_builder_begin_object(b);
    rpt_jw_begin_object(w);
    char name[32];
    for (size_t i = 0; i < G_N_ELEMENTS(STRINGS); i++) {
        g_snprintf(name, sizeof(name), "s%zu", i);
        json_builder_set_member_name(b, name);
        json_builder_add_string_value(b, STRINGS[i]);
        rpt_jw_set_member_name(w, name);
        rpt_jw_add_string_value(w, STRINGS[i]);
    }
    /* Member names are the report's own identifiers and are written without escaping (debug
     * builds assert they need none); every kind of escape is exercised by the values above. */
    json_builder_set_member_name(b, "numbers_and_more");
    rpt_jw_set_member_name(w, "numbers_and_more");
    json_builder_begin_array(b);
    rpt_jw_begin_array(w);
    for (size_t i = 0; i < G_N_ELEMENTS(DOUBLES); i++) {
        json_builder_add_double_value(b, DOUBLES[i]);
        rpt_jw_add_double_value(w, DOUBLES[i]);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(INTS); i++) {
        json_builder_add_int_value(b, INTS[i]);
        rpt_jw_add_int_value(w, INTS[i]);
    }
    json_builder_add_boolean_value(b, TRUE);
    rpt_jw_add_boolean_value(w, true);
    json_builder_add_boolean_value(b, FALSE);
    rpt_jw_add_boolean_value(w, false);
    json_builder_add_null_value(b);
    rpt_jw_add_null_value(w);
    json_builder_begin_object(b);
    rpt_jw_begin_object(w);
    json_builder_end_object(b);
    rpt_jw_end_object(w);
    json_builder_begin_array(b);
    rpt_jw_begin_array(w);
    json_builder_begin_array(b);
    rpt_jw_begin_array(w);
    json_builder_end_array(b);
    rpt_jw_end_array(w);
    json_builder_end_array(b);
    rpt_jw_end_array(w);
    json_builder_end_array(b);
    rpt_jw_end_array(w);
    json_builder_set_member_name(b, "last");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "x");
    json_builder_add_null_value(b);
    json_builder_end_object(b);
    rpt_jw_set_member_name(w, "last");
    rpt_jw_begin_object(w);
    rpt_jw_set_member_name(w, "x");
    rpt_jw_add_null_value(w);
    rpt_jw_end_object(w);
    json_builder_end_object(b);
    rpt_jw_end_object(w);
    char *want = glib_text(b);
    char *got = rpt_jw_finish(w);
    assert_string_equal(got, want);
    /* And json-glib reads it back. */
    JsonParser *p = json_parser_new();
    assert_true(json_parser_load_from_data(p, got, -1, NULL));
    g_object_unref(p);
    g_free(want);
    g_free(got);
}

/* The values json-glib gets wrong: the writer's text must read back as the same values. */
static void test_reads_back(void **state)
{
    (void)state;
    static const double exp_doubles[] = {1e21, 1e-7, 4e300, -1.5e-300};
    struct rpt_jw *w = rpt_jw_new();
    rpt_jw_begin_array(w);
    rpt_jw_add_string_value(w, "unit \x1f separator");
    for (size_t i = 0; i < G_N_ELEMENTS(exp_doubles); i++) {
        rpt_jw_add_double_value(w, exp_doubles[i]);
    }
    rpt_jw_end_array(w);
    char *got = rpt_jw_finish(w);
    JsonParser *p = json_parser_new();
    assert_true(json_parser_load_from_data(p, got, -1, NULL));
    JsonArray *a = json_node_get_array(json_parser_get_root(p));
    assert_string_equal(json_array_get_string_element(a, 0), "unit \x1f separator");
    for (size_t i = 0; i < G_N_ELEMENTS(exp_doubles); i++) {
        assert_true(json_array_get_double_element(a, i + 1) == exp_doubles[i]);
    }
    g_object_unref(p);
    g_free(got);
}

/* rpt_jw_plain_len reads eight bytes at a time: every byte value at every position of strings
 * of every length up to 24 (word-aligned or not) against the byte-wise rule. */
/* One object written with every kind of member, each either at its default or not (bit i of
 * `set` says member i is not), nested lists among them. */
static char *omit_text(unsigned set, bool omit)
{
    struct rpt_jw *b = rpt_jw_new();
    b->omit_defaults = omit;
    struct rpt_jw_mark outer, inner;
    rpt_jw_begin_object(b);
    rpt_jb_uint(b, "u", (set & 1) ? 7 : 0);
    rpt_jb_int(b, "i", (set & 2) ? -3 : 0);
    rpt_jb_bool(b, "b", (set & 4) != 0);
    rpt_jb_str(b, "s", (set & 8) ? "x" : NULL);
    rpt_jb_begin_list(b, "o", '{', &outer);
    rpt_jb_begin_list(b, "a", '[', &inner);
    if (set & 16) {
        rpt_jw_add_int_value(b, 0); /* an element is never left out, even a zero */
    }
    rpt_jb_end_list(b, &inner);
    rpt_jb_bool(b, "t", (set & 32) != 0);
    rpt_jb_end_list(b, &outer);
    bool kept = rpt_jw_keep_defaults(b, true);
    rpt_jb_uint(b, "k", 0);
    rpt_jw_keep_defaults(b, kept);
    rpt_jb_null(b, "n");
    rpt_jw_end_object(b);
    return rpt_jw_finish(b);
}

/* omit_defaults: every member at its default disappears, commas stay right around the ones
 * taken back (first, middle, last, nested), a list that ends empty goes with its name, and
 * rpt_jw_keep_defaults writes a zero. Checked against the full text with the defaults removed
 * by json-glib. */
static void test_omit_defaults(void **state)
{
    (void)state;
    for (unsigned set = 0; set < 64; set++) {
        char *full = omit_text(set, false);
        char *omitted = omit_text(set, true);
        JsonNode *want = json_from_string(full, NULL);
        assert_non_null(want);
        JsonObject *w = json_node_get_object(want);
        const char *names[] = {"u", "i", "b", "s"};
        for (unsigned i = 0; i < 4; i++) {
            if (!(set & (1u << i))) {
                json_object_remove_member(w, names[i]);
            }
        }
        JsonObject *o = json_object_get_object_member(w, "o");
        if (!(set & 16)) {
            json_object_remove_member(o, "a");
        }
        if (!(set & 32)) {
            json_object_remove_member(o, "t");
        }
        if (json_object_get_size(o) == 0) {
            json_object_remove_member(w, "o");
        }
        json_object_remove_member(w, "n");
        char *want_text = json_to_string(want, FALSE);
        assert_string_equal(omitted, want_text);
        /* and it is JSON */
        JsonNode *back = json_from_string(omitted, NULL);
        assert_non_null(back);
        json_node_unref(back);
        g_free(want_text);
        json_node_unref(want);
        g_free(full);
        g_free(omitted);
    }
    char *none = omit_text(0, true);
    assert_string_equal(none, "{\"k\":0}");
    g_free(none);
}

static void test_plain_len(void **state)
{
    (void)state;
    char s[26];
    for (size_t len = 1; len <= 24; len++) {
        for (size_t at = 0; at < len; at++) {
            for (int b = 1; b < 256; b++) {
                memset(s, 'a', len);
                s[len] = '\0';
                s[at] = (char)b;
                bool plain = b >= 0x20 && b < 0x7f && b != '"' && b != '\\';
                assert_int_equal(rpt_jw_plain_len(s), plain ? (ptrdiff_t)len : -1);
                /* The same string one byte further into the buffer. */
                memmove(s + 1, s, len + 1);
                assert_int_equal(rpt_jw_plain_len(s + 1), plain ? (ptrdiff_t)len : -1);
            }
        }
    }
    assert_int_equal(rpt_jw_plain_len(""), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_text_as_json_glib),
                                       cmocka_unit_test(test_reads_back),
                                       cmocka_unit_test(test_plain_len),
                                       cmocka_unit_test(test_omit_defaults)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
