/* A streaming writer of compact JSON, for the report's one-line objects (a connection, a
 * finding, a server, the summary).
 *
 * Why not json-glib's JsonBuilder here: it builds a tree (a node per value, a hash table per
 * object) and then walks it to print, which dominated the run on captures of many short
 * connections (bench/RESULTS.md). Writing the text directly is one append per value. The output is
 * byte for byte what JsonGenerator printed (compact, members in insertion order, the same escapes
 * and number forms), so the golden reports pin the change. json-glib remains the JSON reader of the
 * tests. */
#include <stdio.h>
#include <string.h>

#include "json_internal.h"

/* Appends n bytes. GLib 2.74's g_string_append_len goes through the general
 * g_string_insert_len, which was the writer's largest cost; this is the append-only case. */
static inline void put(GString *s, const char *p, size_t n)
{
    if (G_UNLIKELY(s->len + n >= s->allocated_len)) {
        size_t len = s->len;
        g_string_set_size(s, len + n); /* grows the allocation geometrically */
        s->len = len;
    }
    memcpy(s->str + s->len, p, n);
    s->len += n;
    s->str[s->len] = '\0';
}

static inline void put_str(GString *s, const char *str)
{
    put(s, str, strlen(str));
}

struct rpt_jw *rpt_jw_new(void)
{
    struct rpt_jw *w = g_new0(struct rpt_jw, 1);
    w->s = g_string_sized_new(1024);
    return w;
}

void rpt_jw_init_on(struct rpt_jw *w, GString *s)
{
    memset(w, 0, sizeof(*w));
    w->s = s;
}

/* Before a value: a comma when the container already holds one, unless a member name (with its
 * colon) was just written. */
static char *put_value_start(struct rpt_jw *w, char *p)
{
    if (w->after_name) {
        w->after_name = false;
    } else if (w->depth > 0 && w->count[w->depth - 1]++ > 0) {
        *p++ = ',';
    }
    return p;
}

static void value_start(struct rpt_jw *w)
{
    rpt_jw_commit(w, put_value_start(w, rpt_jw_reserve(w, 1)));
}

static void container_open(struct rpt_jw *w, char c)
{
    char *p = put_value_start(w, rpt_jw_reserve(w, 2));
    *p++ = c;
    rpt_jw_commit(w, p);
    g_assert(w->depth < RPT_JW_MAX_DEPTH);
    w->count[w->depth++] = 0;
}

static void container_close(struct rpt_jw *w, char c)
{
    g_assert(w->depth > 0);
    w->depth--;
    char *p = rpt_jw_reserve(w, 1);
    *p++ = c;
    rpt_jw_commit(w, p);
}

void rpt_jw_begin_object(struct rpt_jw *w)
{
    container_open(w, '{');
}

void rpt_jw_end_object(struct rpt_jw *w)
{
    container_close(w, '}');
}

void rpt_jw_begin_array(struct rpt_jw *w)
{
    container_open(w, '[');
}

void rpt_jw_end_array(struct rpt_jw *w)
{
    container_close(w, ']');
}

void rpt_jb_begin_list_n(struct rpt_jw *b, const char *name, size_t name_len, char bracket,
                         struct rpt_jw_mark *out_mark)
{
    g_assert(b->depth < RPT_JW_MAX_DEPTH && (bracket == '[' || bracket == '{'));
    out_mark->len = b->s->len;
    out_mark->count = b->count[b->depth - 1];
    out_mark->close = bracket == '[' ? ']' : '}';
    /* ',"name":[' after one capacity check. */
    char *p = rpt_jw_reserve(b, RPT_JW_MEMBER_ROOM(name_len) + 1);
    p = rpt_jw_put_member(b, p, name, name_len);
    *p++ = bracket;
    rpt_jw_commit(b, p);
    b->count[b->depth++] = 0;
}

void rpt_jb_end_list(struct rpt_jw *b, const struct rpt_jw_mark *mark)
{
    g_assert(b->depth > 1);
    if (b->omit_defaults && b->count[b->depth - 1] == 0) {
        b->depth--;
        b->count[b->depth - 1] = mark->count;
        g_string_truncate(b->s, mark->len);
        return;
    }
    container_close(b, mark->close);
}

/* Bytes a JSON string cannot hold as they are (RFC 8259 §7): control characters, '"', '\\',
 * and DEL, which JsonGenerator also escapes. */
static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c == 0x7f;
}

/* JSON string escapes as JsonGenerator writes them (RFC 8259 §7): the two mandatory ones, the
 * short forms for \b \f \n \r \t, \u00XX for the other control characters and DEL. The input
 * is valid UTF-8 (callers make it so), which passes through. Two deliberate differences from
 * json-glib 1.6, which are its bugs: it drops U+001F, and prints 1e+21 as "1e+21.0". Runs of
 * plain bytes are appended whole: almost every string of a report has nothing to escape. */
static void escaped(GString *s, const char *str)
{
    static const char HEX[] = "0123456789abcdef";
    g_string_append_c(s, '"');
    const char *run = str;
    const char *p = str;
    for (;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\0') {
            break;
        }
        if (!needs_escape(c)) {
            continue;
        }
        put(s, run, (size_t)(p - run));
        run = p + 1;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = HEX[c >> 4];
            esc[5] = HEX[c & 0xf];
            n = 6;
            break;
        }
        put(s, esc, n);
    }
    put(s, run, (size_t)(p - run));
    g_string_append_c(s, '"');
}

/* Member names are the report's own identifiers (string literals and names from fixed tables),
 * never text from the wire, so they are written without the escape scan; debug builds check
 * that holds. The length comes from the inline rpt_jw_set_member_name, where the compiler
 * folds strlen of a literal. */
void rpt_jw_member_n(struct rpt_jw *w, const char *name, size_t len)
{
    value_start(w);
#ifndef NDEBUG
    for (size_t i = 0; i < len; i++) {
        g_assert(!needs_escape((unsigned char)name[i]));
    }
#endif
    /* One capacity check for the quote, the name and the closing '":'. */
    GString *s = w->s;
    if (G_UNLIKELY(s->len + len + 3 >= s->allocated_len)) {
        size_t keep = s->len;
        g_string_set_size(s, keep + len + 3);
        s->len = keep;
    }
    char *p = s->str + s->len;
    p[0] = '"';
    memcpy(p + 1, name, len);
    p[len + 1] = '"';
    p[len + 2] = ':';
    s->len += len + 3;
    s->str[s->len] = '\0';
    w->after_name = true;
}

void rpt_jw_add_string_value(struct rpt_jw *w, const char *s)
{
    value_start(w);
    escaped(w->s, s);
}

/* A value of n bytes that needs no escaping, quoted. */
static void put_quoted_value(struct rpt_jw *w, const char *s, size_t n)
{
    char *p = put_value_start(w, rpt_jw_reserve(w, n + 3));
    *p++ = '"';
    memcpy(p, s, n);
    p += n;
    *p++ = '"';
    rpt_jw_commit(w, p);
}

void rpt_jw_add_known_value(struct rpt_jw *w, const char *s)
{
#ifndef NDEBUG
    g_assert(rpt_jw_plain_len(s) >= 0);
#endif
    put_quoted_value(w, s, strlen(s));
}

/* 1 for the bytes a JSON string holds as they are and that need no UTF-8 check: printable
 * ASCII but '"' and '\\'. NUL is 0, so a scan stops at the end of the string too. */
static const uint8_t PLAIN[256] = {
    [' '] = 1,
    ['!'] = 1,
    ['#' ... '['] = 1,
    [']' ... '~'] = 1,
};

/* Eight bytes at a time (a report's strings are timestamps, digests and names, tens of bytes
 * each): a word is plain when none of its bytes is below 0x20, '"', '\\', 0x7f or above (the
 * classic "has a zero byte" test, on the word and on its XORs with the two characters). The
 * length comes first from strlen, so no load reaches past the string. */
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static bool word_plain(uint64_t v)
{
    uint64_t below_space = (v - ONES * 0x20) & ~v;
    uint64_t quote = v ^ (ONES * '"'), backslash = v ^ (ONES * '\\'), del = v ^ (ONES * 0x7f);
    uint64_t zero_q = (quote - ONES) & ~quote, zero_b = (backslash - ONES) & ~backslash;
    uint64_t zero_d = (del - ONES) & ~del;
    return ((below_space | zero_q | zero_b | zero_d | v) & HIGHS) == 0;
}

ptrdiff_t rpt_jw_plain_len(const char *s)
{
    size_t n = strlen(s), i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v;
        memcpy(&v, s + i, 8);
        if (!word_plain(v)) {
            return -1;
        }
    }
    for (; i < n; i++) {
        if (!PLAIN[(unsigned char)s[i]]) {
            return -1;
        }
    }
    return (ptrdiff_t)n;
}

bool rpt_jw_add_plain_string(struct rpt_jw *w, const char *s)
{
    ptrdiff_t n = rpt_jw_plain_len(s);
    if (n < 0) {
        return false;
    }
    value_start(w);
    g_string_append_c(w->s, '"');
    put(w->s, s, (size_t)n);
    g_string_append_c(w->s, '"');
    return true;
}

void rpt_jw_add_int_value(struct rpt_jw *w, int64_t v)
{
    /* By hand: printf's format parsing was the writer's largest cost (offsets, counts, ports
     * are most of a report's values). */
    char buf[24];
    char *p = buf + sizeof(buf);
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        *--p = '-';
    }
    value_start(w);
    put(w->s, p, (size_t)(buf + sizeof(buf) - p));
}

void rpt_jw_add_double_value(struct rpt_jw *w, double v)
{
    /* JsonGenerator: g_ascii_dtostr (%.17g in the C locale), then ".0" if that reads as an
     * integer, so a reader keeps the value a double. */
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_ascii_dtostr(buf, sizeof(buf), v);
    value_start(w);
    put_str(w->s, buf);
    if (strpbrk(buf, ".eEni") == NULL) {
        put(w->s, ".0", 2);
    }
}

void rpt_jw_add_boolean_value(struct rpt_jw *w, bool v)
{
    value_start(w);
    put_str(w->s, v ? "true" : "false");
}

void rpt_jw_add_null_value(struct rpt_jw *w)
{
    value_start(w);
    put(w->s, "null", 4);
}

char *rpt_jw_finish(struct rpt_jw *w)
{
    g_assert(w->depth == 0);
    char *out = g_string_free(w->s, FALSE);
    g_free(w);
    return out;
}
