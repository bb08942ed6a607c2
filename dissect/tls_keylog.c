/* The key log: NSS key log lines parsed (through the cursor: the text is untrusted) into a
 * table of secrets by client random, with the bounds, counters and messages of bad input, and
 * the incremental re-read of a growing key log file. */
#include "tls_keylog.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes_hash.h"
#include "cursor.h"

#define RANDOM_LEN 32
#define MASTER_LEN 48     /* RFC 5246 §8.1 */
#define MAX_SECRET_LEN 48 /* SHA-384, the longest hash of a TLS 1.3 suite (RFC 8446 §B.4) */
/* A valid line is at most 31 (label) + 64 + 96 hex digits and separators; longer lines are bad
 * and are never buffered whole. */
#define MAX_LINE_LEN 1024
#define READ_CHUNK (64 * 1024)

struct entry {
    uint8_t random[RANDOM_LEN]; /* the key of the table; first, so the entry is its own key */
    uint8_t secret_len[TLS_SK_COUNT];
    uint8_t secret[TLS_SK_COUNT][MAX_SECRET_LEN];
};

/* Where a file was read up to: the end of its last whole line, and the lines before it. */
struct file_state {
    uint64_t offset;
    uint64_t lines;
};

struct tls_keylog {
    GHashTable *by_random; /* struct entry * (its random) -> itself, owned */
    GHashTable *files;     /* path -> struct file_state, both owned */
    uint64_t max_entries;
    uint64_t bad, ignored, dropped;
    char *examples[TLS_KEYLOG_MAX_BAD_EXAMPLES];
    size_t num_examples;
};

static const struct {
    const char *label;
    enum tls_secret_kind kind;
} LABELS[] = {
    {"CLIENT_RANDOM", TLS_SK_MASTER},
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", TLS_SK_CLIENT_HS},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", TLS_SK_SERVER_HS},
    {"CLIENT_TRAFFIC_SECRET_0", TLS_SK_CLIENT_AP0},
    {"SERVER_TRAFFIC_SECRET_0", TLS_SK_SERVER_AP0},
};

static guint random_hash(gconstpointer key)
{
    return (guint)bytes_hash(key, RANDOM_LEN);
}

static gboolean random_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, RANDOM_LEN) == 0;
}

static void entry_free(gpointer p)
{
    explicit_bzero(p, sizeof(struct entry));
    g_free(p);
}

struct tls_keylog *tls_keylog_new(uint64_t max_entries)
{
    struct tls_keylog *k = g_new0(struct tls_keylog, 1);
    k->by_random = g_hash_table_new_full(random_hash, random_equal, NULL, entry_free);
    k->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    k->max_entries = max_entries ? max_entries : TLS_KEYLOG_DEFAULT_MAX_ENTRIES;
    return k;
}

void tls_keylog_free(struct tls_keylog *k)
{
    if (!k) {
        return;
    }
    g_hash_table_destroy(k->by_random);
    g_hash_table_destroy(k->files);
    for (size_t i = 0; i < k->num_examples; i++) {
        g_free(k->examples[i]);
    }
    g_free(k);
}

enum line_result { LINE_SKIP, LINE_ACCEPTED, LINE_IGNORED, LINE_BAD, LINE_DROPPED };

static bool is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void skip_blanks(struct cur *c)
{
    uint8_t b;
    while (cur_peek_u8(c, 0, &b) && is_blank(b)) {
        (void)cur_skip(c, 1);
    }
}

/* The next run of non-blank bytes as a child cursor; false when none is left. */
static bool next_field(struct cur *c, struct cur *out)
{
    skip_blanks(c);
    size_t n = 0;
    uint8_t b;
    while (cur_peek_u8(c, n, &b) && !is_blank(b)) {
        n++;
    }
    return n > 0 && cur_sub(c, n, out);
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Hex digits into at most cap bytes; false on an odd count, a non-hex digit or overflow. */
static bool hex_decode(struct cur f, uint8_t *out, size_t cap, size_t *out_len)
{
    if (cur_len(&f) % 2 != 0 || cur_len(&f) / 2 > cap) {
        return false;
    }
    size_t n = 0;
    uint8_t hi, lo;
    while (cur_u8(&f, &hi) && cur_u8(&f, &lo)) {
        int h = hex_value(hi), l = hex_value(lo);
        if (h < 0 || l < 0) {
            return false;
        }
        out[n++] = (uint8_t)(h << 4 | l);
    }
    *out_len = n;
    return true;
}

static bool field_is(struct cur f, const char *s)
{
    size_t n = strlen(s);
    return cur_len(&f) == n && memcmp(f.p, s, n) == 0;
}

/* Labels as NSS and its imitators write them: capitals, digits and underscores. */
static bool looks_like_label(struct cur f)
{
    uint8_t b;
    while (cur_u8(&f, &b)) {
        if (!((b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_')) {
            return false;
        }
    }
    return true;
}

static enum line_result store(struct tls_keylog *k, const uint8_t random[RANDOM_LEN],
                              enum tls_secret_kind kind, const uint8_t *secret, size_t len)
{
    struct entry *e = g_hash_table_lookup(k->by_random, random);
    if (!e) {
        if (g_hash_table_size(k->by_random) >= k->max_entries) {
            k->dropped++;
            return LINE_DROPPED;
        }
        e = g_new0(struct entry, 1);
        memcpy(e->random, random, RANDOM_LEN);
        g_hash_table_insert(k->by_random, e->random, e);
    }
    memcpy(e->secret[kind], secret, len);
    e->secret_len[kind] = (uint8_t)len;
    return LINE_ACCEPTED;
}

/* One line without its LF. *reason is set for LINE_BAD. */
static enum line_result parse_line(struct tls_keylog *k, struct cur line, const char **reason)
{
    struct cur label, rnd, sec, extra;
    uint8_t first;
    skip_blanks(&line);
    if (!cur_peek_u8(&line, 0, &first) || first == '#') {
        return LINE_SKIP;
    }
    if (!next_field(&line, &label) || !next_field(&line, &rnd) || !next_field(&line, &sec) ||
        next_field(&line, &extra)) {
        *reason = "not 'LABEL CLIENT_RANDOM SECRET'";
        return LINE_BAD;
    }
    size_t kind = 0;
    while (kind < G_N_ELEMENTS(LABELS) && !field_is(label, LABELS[kind].label)) {
        kind++;
    }
    if (kind == G_N_ELEMENTS(LABELS)) {
        if (looks_like_label(label)) {
            return LINE_IGNORED;
        }
        *reason = "unknown label";
        return LINE_BAD;
    }
    uint8_t random[RANDOM_LEN], secret[MAX_SECRET_LEN];
    size_t random_len = 0, secret_len = 0;
    if (!hex_decode(rnd, random, sizeof(random), &random_len) || random_len != RANDOM_LEN) {
        *reason = "client random is not 64 hex digits";
        return LINE_BAD;
    }
    if (!hex_decode(sec, secret, sizeof(secret), &secret_len)) {
        *reason = "secret is not hex of at most 48 bytes";
        return LINE_BAD;
    }
    enum tls_secret_kind sk = LABELS[kind].kind;
    /* The master secret is always 48 bytes (RFC 5246 §8.1); a TLS 1.3 secret is as long as
     * the suite's hash, SHA-256 or SHA-384 (RFC 8446 §7.1, §B.4). */
    if (sk == TLS_SK_MASTER ? secret_len != MASTER_LEN : secret_len != 32 && secret_len != 48) {
        *reason = sk == TLS_SK_MASTER ? "CLIENT_RANDOM secret is not 48 bytes"
                                      : "traffic secret is not 32 or 48 bytes";
        return LINE_BAD;
    }
    enum line_result r = store(k, random, sk, secret, secret_len);
    explicit_bzero(secret, sizeof(secret));
    return r;
}

static void count_bad(struct tls_keylog *k, const char *origin, uint64_t lineno, const char *reason)
{
    k->bad++;
    if (k->num_examples < TLS_KEYLOG_MAX_BAD_EXAMPLES) {
        k->examples[k->num_examples++] =
            g_strdup_printf("%s:%" PRIu64 ": %s", origin ? origin : "key log", lineno, reason);
    }
}

/* One whole line (a tentative one, still being written, counts nothing but its secret). */
static uint64_t add_line(struct tls_keylog *k, struct cur line, const char *origin, uint64_t lineno,
                         bool tentative)
{
    const char *reason = NULL;
    if (cur_len(&line) > MAX_LINE_LEN) {
        if (!tentative) {
            count_bad(k, origin, lineno, "line too long");
        }
        return 0;
    }
    switch (parse_line(k, line, &reason)) {
    case LINE_ACCEPTED:
        return 1;
    case LINE_IGNORED:
        k->ignored += tentative ? 0 : 1;
        return 0;
    case LINE_BAD:
        if (!tentative) {
            count_bad(k, origin, lineno, reason);
        }
        return 0;
    case LINE_SKIP:
    case LINE_DROPPED:
        return 0;
    }
    return 0;
}

/* The whole lines of text; *consumed is the bytes through the last LF, *num_lines their count.
 * With last_partial the bytes after the last LF are a line of their own too. */
static uint64_t add_lines(struct tls_keylog *k, const char *text, size_t len, const char *origin,
                          uint64_t first_line, bool last_partial, bool tentative_tail,
                          size_t *consumed, uint64_t *num_lines)
{
    struct cur c = cur_make(text, len);
    uint64_t accepted = 0, lines = 0;
    size_t done = 0;
    for (;;) {
        size_t n = 0;
        uint8_t b = 0;
        while (cur_peek_u8(&c, n, &b) && b != '\n') {
            n++;
        }
        struct cur line;
        if (!cur_sub(&c, n, &line)) {
            break;
        }
        if (cur_skip(&c, 1)) { /* its LF */
            accepted += add_line(k, line, origin, first_line + lines, false);
            lines++;
            done += n + 1;
            continue;
        }
        if (last_partial && n > 0) {
            accepted += add_line(k, line, origin, first_line + lines, tentative_tail);
            if (!tentative_tail) {
                lines++;
                done += n;
            }
        }
        break;
    }
    if (consumed) {
        *consumed = done;
    }
    if (num_lines) {
        *num_lines = lines;
    }
    return accepted;
}

uint64_t tls_keylog_add_text(struct tls_keylog *k, const char *text, size_t len, const char *origin)
{
    if (!k || !text) {
        return 0;
    }
    return add_lines(k, text, len, origin, 1, true, false, NULL, NULL);
}

/* Reads from st->offset to the end of f, in chunks; a line too long to hold is dropped while
 * it passes and counted bad at its LF. */
static bool read_from(struct tls_keylog *k, FILE *f, const char *path, struct file_state *st,
                      GError **error)
{
    GString *carry = g_string_new(NULL);
    char *chunk = g_malloc(READ_CHUNK);
    bool overlong = false; /* the line in progress passed MAX_LINE_LEN; carry holds none of it */
    uint64_t overlong_len = 0;
    bool ok = true;
    for (;;) {
        size_t got = fread(chunk, 1, READ_CHUNK, f);
        if (got == 0) {
            if (ferror(f)) {
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                            "%s: cannot read: %s", path, g_strerror(errno));
                ok = false;
            }
            break;
        }
        g_string_append_len(carry, chunk, (gssize)got);
        if (overlong) {
            const char *lf = memchr(carry->str, '\n', carry->len);
            if (!lf) {
                overlong_len += carry->len;
                g_string_truncate(carry, 0);
                continue;
            }
            size_t n = (size_t)(lf - carry->str) + 1;
            count_bad(k, path, st->lines + 1, "line too long");
            st->lines++;
            st->offset += overlong_len + n;
            g_string_erase(carry, 0, (gssize)n);
            overlong = false;
            overlong_len = 0;
        }
        size_t consumed;
        uint64_t lines;
        (void)add_lines(k, carry->str, carry->len, path, st->lines + 1, false, false, &consumed,
                        &lines);
        st->offset += consumed;
        st->lines += lines;
        g_string_erase(carry, 0, (gssize)consumed);
        if (carry->len > MAX_LINE_LEN) {
            overlong = true;
            overlong_len = carry->len;
            g_string_truncate(carry, 0);
        }
    }
    /* The last line has no LF yet: the writer may be in the middle of it. Its secret is taken
     * now when it parses; the offset stays before it, so the next call reads it again, whole. */
    if (ok && !overlong && carry->len > 0) {
        (void)add_lines(k, carry->str, carry->len, path, st->lines + 1, true, true, NULL, NULL);
    }
    g_free(chunk);
    g_string_free(carry, TRUE);
    return ok;
}

bool tls_keylog_load_file(struct tls_keylog *k, const char *path, GError **error)
{
    g_return_val_if_fail(k != NULL && path != NULL, false);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot open: %s", path,
                    g_strerror(e));
        return false;
    }
    struct file_state *st = g_hash_table_lookup(k->files, path);
    if (!st) {
        st = g_new0(struct file_state, 1);
        g_hash_table_insert(k->files, g_strdup(path), st);
    }
    struct stat sb;
    /* Shorter than what was read: truncated or replaced, so it is a new file. */
    if (fstat(fileno(f), &sb) == 0 && (uint64_t)sb.st_size < st->offset) {
        st->offset = 0;
        st->lines = 0;
    }
    bool ok = true;
    /* No seek at offset 0: a pipe (--keylog <(...)) cannot seek, and is read once. */
    if (st->offset > 0 && fseeko(f, (off_t)st->offset, SEEK_SET) != 0) {
        int e = errno;
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "%s: cannot seek: %s", path,
                    g_strerror(e));
        ok = false;
    } else {
        ok = read_from(k, f, path, st, error);
    }
    fclose(f);
    return ok;
}

const uint8_t *tls_keylog_find(const struct tls_keylog *k, const uint8_t client_random[32],
                               enum tls_secret_kind kind, size_t *out_len)
{
    if (!k || !client_random || (unsigned)kind >= TLS_SK_COUNT) {
        return NULL;
    }
    const struct entry *e = g_hash_table_lookup(k->by_random, client_random);
    if (!e || e->secret_len[kind] == 0) {
        return NULL;
    }
    if (out_len) {
        *out_len = e->secret_len[kind];
    }
    return e->secret[kind];
}

uint64_t tls_keylog_size(const struct tls_keylog *k)
{
    return k ? g_hash_table_size(k->by_random) : 0;
}

uint64_t tls_keylog_bad_lines(const struct tls_keylog *k)
{
    return k ? k->bad : 0;
}

uint64_t tls_keylog_ignored_lines(const struct tls_keylog *k)
{
    return k ? k->ignored : 0;
}

uint64_t tls_keylog_dropped(const struct tls_keylog *k)
{
    return k ? k->dropped : 0;
}

const char *const *tls_keylog_bad_examples(const struct tls_keylog *k, size_t *n)
{
    if (n) {
        *n = k ? k->num_examples : 0;
    }
    return k ? (const char *const *)k->examples : NULL;
}
