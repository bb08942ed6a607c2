/* Packet sources: files (pcap, pcapng, nanosecond pcap, lists of files, truncated files), memory,
 * BPF, errors, stop, progress stats, interface listing, privilege drop and a live open on lo.
 *
 * No expected count is written down: each BPF case compares the filtered count with packets of
 * the unfiltered file that the test classifies itself by decoding them, and file lists compare
 * with the same files read one by one. Truncated and nanosecond captures are written here from
 * samples/lab/cap.pcap using the pcap file format (a 24-byte file header, then per packet a
 * 16-byte record header and the bytes), which the test parses itself to know where records
 * start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <pcap/dlt.h>

#include "capture.h"

#define LAB TLSSCOPE_SOURCE_DIR "/samples/lab/"
#define CAP_PCAP LAB "cap.pcap"
#define CAP_PCAPNG LAB "cap.pcapng"
#define BIG_PCAP LAB "big.pcap"

#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN 16

/* ------------------------------------------------------------------ collecting packets */

struct pkt_rec {
    int64_t ts_us;
    size_t caplen, len;
    int linktype;
    guint hash;
};

struct collect {
    GArray *pkts;   /* struct pkt_rec */
    int stop_after; /* > 0: cap_source_stop once this many packets arrived */
    struct cap_source *src;
};

static void on_packet(void *user, const struct cap_packet *pkt)
{
    struct collect *c = user;
    GBytes *b = g_bytes_new_static(pkt->data, pkt->caplen);
    struct pkt_rec r = {pkt->ts_us, pkt->caplen, pkt->len, pkt->linktype, g_bytes_hash(b)};
    g_bytes_unref(b);
    g_array_append_val(c->pkts, r);
    if (c->stop_after > 0 && c->pkts->len == (guint)c->stop_after) {
        cap_source_stop(c->src);
    }
}

static void collect_init(struct collect *c)
{
    memset(c, 0, sizeof(*c));
    c->pkts = g_array_new(FALSE, TRUE, sizeof(struct pkt_rec));
}

static void collect_free(struct collect *c)
{
    g_array_unref(c->pkts);
}

/* Dispatches until the source says anything but OK. */
static enum cap_source_status drain(struct cap_source *src, struct collect *c, int max_packets,
                                    GError **error)
{
    c->src = src;
    for (int guard = 0; guard < 100000; guard++) {
        enum cap_source_status st = cap_source_dispatch(src, max_packets, on_packet, c, error);
        if (st != CAP_SOURCE_OK) {
            return st;
        }
    }
    fail_msg("dispatch never ended");
    return CAP_SOURCE_ERROR;
}

static void read_files(const char *const *paths, size_t n, const char *bpf, struct collect *c)
{
    GError *err = NULL;
    struct cap_source *src = cap_source_open_files(paths, n, bpf, &err);
    if (src == NULL) {
        fail_msg("open: %s", err->message);
    }
    assert_int_equal(drain(src, c, 0, &err), CAP_SOURCE_EOF);
    cap_source_free(src);
}

static void read_file(const char *path, const char *bpf, struct collect *c)
{
    read_files(&path, 1, bpf, c);
}

static void assert_same_packets(const struct collect *a, size_t a_from, const struct collect *b,
                                size_t n)
{
    assert_true(a->pkts->len >= a_from + n);
    assert_true(b->pkts->len >= n);
    for (size_t i = 0; i < n; i++) {
        const struct pkt_rec *x = &g_array_index(a->pkts, struct pkt_rec, a_from + i);
        const struct pkt_rec *y = &g_array_index(b->pkts, struct pkt_rec, i);
        if (x->ts_us != y->ts_us || x->caplen != y->caplen || x->len != y->len ||
            x->hash != y->hash || x->linktype != y->linktype) {
            fail_msg("packet %zu differs", i);
        }
    }
}

/* ------------------------------------------------------------------ BPF table */

struct classified {
    bool tcp;
    struct cap_segment seg;
    size_t len;
};

typedef bool (*classify_fn)(const struct classified *p);

static bool is_14433(const struct classified *p)
{
    return p->seg.sport == 14433 || p->seg.dport == 14433;
}

static bool pred_syn_14433(const struct classified *p)
{
    return p->tcp && is_14433(p) && (p->seg.flags & CAP_TCP_SYN);
}

static bool pred_fin(const struct classified *p)
{
    return p->tcp && (p->seg.flags & CAP_TCP_FIN);
}

static bool pred_src_14433(const struct classified *p)
{
    return p->tcp && p->seg.sport == 14433;
}

static bool pred_greater_600(const struct classified *p)
{
    return p->len >= 600; /* pcap-filter(7): "greater length" is len >= length */
}

static bool pred_push_to_server(const struct classified *p)
{
    return p->tcp && p->seg.dport == 14433 && (p->seg.flags & CAP_TCP_PSH);
}

static bool pred_payload_empty_ack(const struct classified *p)
{
    /* tcp[tcpflags] == tcp-ack: only ACK set, no other flag */
    return p->tcp && p->seg.flags == CAP_TCP_ACK;
}

struct bpf_case {
    const char *name;
    const char *path;
    const char *bpf;
    classify_fn pred;
};

static const struct bpf_case BPF_CASES[] = {
    {"bpf_syn_14433_pcap", CAP_PCAP, "tcp port 14433 and tcp[tcpflags] & tcp-syn != 0",
     pred_syn_14433},
    {"bpf_syn_14433_pcapng", CAP_PCAPNG, "tcp port 14433 and tcp[tcpflags] & tcp-syn != 0",
     pred_syn_14433},
    {"bpf_fin_pcap", CAP_PCAP, "tcp[tcpflags] & tcp-fin != 0", pred_fin},
    {"bpf_src_port_pcapng", CAP_PCAPNG, "src port 14433", pred_src_14433},
    {"bpf_greater_600_pcap", CAP_PCAP, "greater 600", pred_greater_600},
    {"bpf_push_to_server_big", BIG_PCAP, "dst port 14433 and tcp[tcpflags] & tcp-push != 0",
     pred_push_to_server},
    {"bpf_pure_ack_pcap", CAP_PCAP, "tcp[tcpflags] == tcp-ack", pred_payload_empty_ack},
};

struct classify_ctx {
    classify_fn pred;
    uint64_t total, matched;
};

static void on_classify(void *user, const struct cap_packet *pkt)
{
    struct classify_ctx *c = user;
    struct classified p = {.len = pkt->len};
    enum cap_skip_reason reason;
    p.tcp = cap_decode(pkt->linktype, pkt->data, pkt->caplen, false, &p.seg, &reason);
    c->total++;
    if (c->pred(&p)) {
        c->matched++;
    }
}

static void test_bpf_case(void **state)
{
    const struct bpf_case *tc = *state;
    GError *err = NULL;
    struct classify_ctx cls = {.pred = tc->pred};
    struct cap_source *src = cap_source_open_files(&tc->path, 1, NULL, &err);
    assert_non_null(src);
    enum cap_source_status st;
    while ((st = cap_source_dispatch(src, 0, on_classify, &cls, &err)) == CAP_SOURCE_OK) {
    }
    assert_int_equal(st, CAP_SOURCE_EOF);
    cap_source_free(src);
    /* A filter that matches nothing or everything would not tell a working BPF from none. */
    assert_true(cls.matched > 0);
    assert_true(cls.matched < cls.total);

    struct collect c;
    collect_init(&c);
    read_file(tc->path, tc->bpf, &c);
    assert_int_equal(c.pkts->len, cls.matched);
    collect_free(&c);
}

/* A filter that rejects every packet still walks every file to the end. */
static void test_bpf_matches_nothing(void **state)
{
    (void)state;
    const char *paths[] = {CAP_PCAP, BIG_PCAP, CAP_PCAPNG};
    struct collect c;
    collect_init(&c);
    read_files(paths, 3, "tcp port 1", &c);
    assert_int_equal(c.pkts->len, 0);
    collect_free(&c);
}

/* ------------------------------------------------------------------ files */

static void test_pcapng_same_as_pcap(void **state)
{
    (void)state;
    struct collect a, b;
    collect_init(&a);
    collect_init(&b);
    read_file(CAP_PCAP, NULL, &a);
    read_file(CAP_PCAPNG, NULL, &b);
    assert_true(a.pkts->len > 0);
    assert_int_equal(a.pkts->len, b.pkts->len);
    assert_same_packets(&a, 0, &b, b.pkts->len);
    assert_int_equal(g_array_index(a.pkts, struct pkt_rec, 0).linktype, DLT_EN10MB);
    collect_free(&a);
    collect_free(&b);
}

static void test_two_files_in_sequence(void **state)
{
    (void)state;
    struct collect one, two, both;
    collect_init(&one);
    collect_init(&two);
    collect_init(&both);
    read_file(CAP_PCAP, NULL, &one);
    read_file(BIG_PCAP, NULL, &two);
    const char *paths[] = {CAP_PCAP, BIG_PCAP};
    GError *err = NULL;
    struct cap_source *src = cap_source_open_files(paths, 2, NULL, &err);
    assert_non_null(src);
    assert_int_equal(drain(src, &both, 7, &err), CAP_SOURCE_EOF);
    assert_int_equal(both.pkts->len, one.pkts->len + two.pkts->len);
    assert_same_packets(&both, 0, &one, one.pkts->len);
    assert_same_packets(&both, one.pkts->len, &two, two.pkts->len);

    struct cap_source_stats st;
    cap_source_get_stats(src, &st);
    assert_int_equal(st.packets, both.pkts->len);
    uint64_t bytes = 0;
    for (guint i = 0; i < both.pkts->len; i++) {
        bytes += g_array_index(both.pkts, struct pkt_rec, i).len;
    }
    assert_int_equal(st.bytes, bytes);
    GStatBuf sb1, sb2;
    assert_int_equal(g_stat(CAP_PCAP, &sb1), 0);
    assert_int_equal(g_stat(BIG_PCAP, &sb2), 0);
    assert_int_equal(st.file_bytes_total, (uint64_t)(sb1.st_size + sb2.st_size));
    assert_int_equal(st.file_bytes_read, st.file_bytes_total);
    assert_int_equal(st.num_files, 2);
    assert_int_equal(st.file_index, 2);
    assert_int_equal(st.num_linktypes, 1);
    assert_int_equal(st.linktypes[0], DLT_EN10MB);
    assert_null(st.truncated_file);
    assert_false(st.live);
    assert_int_equal(cap_source_get_fd(src), -1);
    cap_source_free(src);
    collect_free(&one);
    collect_free(&two);
    collect_free(&both);
}

/* max_packets bounds each call, and the progress estimate is in the right range midway. */
static void test_batches_and_progress(void **state)
{
    (void)state;
    struct collect all, c;
    collect_init(&all);
    collect_init(&c);
    read_file(CAP_PCAP, NULL, &all);
    GError *err = NULL;
    const char *path = CAP_PCAP;
    struct cap_source *src = cap_source_open_files(&path, 1, NULL, &err);
    assert_non_null(src);
    c.src = src;
    assert_int_equal(cap_source_dispatch(src, 10, on_packet, &c, &err), CAP_SOURCE_OK);
    assert_int_equal(c.pkts->len, 10);
    struct cap_source_stats st;
    cap_source_get_stats(src, &st);
    assert_true(st.file_bytes_read > 0 && st.file_bytes_read < st.file_bytes_total);
    assert_string_equal(st.current_file, CAP_PCAP);
    /* Packet sizes vary, so the estimate is only required to be plausible. */
    assert_true(st.packets_estimate >= 10 && st.packets_estimate <= 20 * all.pkts->len);
    assert_int_equal(drain(src, &c, 10, &err), CAP_SOURCE_EOF);
    assert_int_equal(c.pkts->len, all.pkts->len);
    cap_source_get_stats(src, &st);
    assert_int_equal(st.packets_estimate, all.pkts->len);
    assert_int_equal(st.file_bytes_read, st.file_bytes_total);
    cap_source_free(src);
    collect_free(&all);
    collect_free(&c);
}

static void test_stop(void **state)
{
    (void)state;
    struct collect c;
    collect_init(&c);
    c.stop_after = 5;
    GError *err = NULL;
    const char *paths[] = {CAP_PCAP, CAP_PCAP};
    struct cap_source *src = cap_source_open_files(paths, 2, NULL, &err);
    assert_non_null(src);
    assert_int_equal(drain(src, &c, 0, &err), CAP_SOURCE_STOPPED);
    assert_int_equal(c.pkts->len, 5);
    assert_int_equal(cap_source_dispatch(src, 0, on_packet, &c, &err), CAP_SOURCE_STOPPED);
    assert_int_equal(c.pkts->len, 5);
    cap_source_free(src);
    collect_free(&c);
}

static void test_memory_source(void **state)
{
    (void)state;
    gchar *bytes;
    gsize len;
    assert_true(g_file_get_contents(CAP_PCAP, &bytes, &len, NULL));
    struct collect file, mem, mem_bpf, file_bpf;
    collect_init(&file);
    collect_init(&mem);
    collect_init(&mem_bpf);
    collect_init(&file_bpf);
    read_file(CAP_PCAP, NULL, &file);
    const char *bpf = "src port 14433";
    read_file(CAP_PCAP, bpf, &file_bpf);
    GError *err = NULL;
    struct cap_source *src = cap_source_open_memory(bytes, len, NULL, &err);
    assert_non_null(src);
    assert_int_equal(drain(src, &mem, 0, &err), CAP_SOURCE_EOF);
    assert_int_equal(mem.pkts->len, file.pkts->len);
    assert_same_packets(&mem, 0, &file, file.pkts->len);
    struct cap_source_stats st;
    cap_source_get_stats(src, &st);
    assert_int_equal(st.file_bytes_total, len);
    assert_int_equal(st.file_bytes_read, len);
    cap_source_free(src);

    src = cap_source_open_memory(bytes, len, bpf, &err);
    assert_non_null(src);
    assert_int_equal(drain(src, &mem_bpf, 0, &err), CAP_SOURCE_EOF);
    assert_true(file_bpf.pkts->len > 0 && file_bpf.pkts->len < file.pkts->len);
    assert_int_equal(mem_bpf.pkts->len, file_bpf.pkts->len);
    cap_source_free(src);
    g_free(bytes);
    collect_free(&file);
    collect_free(&mem);
    collect_free(&mem_bpf);
    collect_free(&file_bpf);
}

/* ------------------------------------------------------------------ written captures */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Offsets of the record headers of a little-endian microsecond pcap file. */
static GArray *record_offsets(const uint8_t *file, size_t len)
{
    assert_true(len >= PCAP_FILE_HDR_LEN);
    assert_int_equal(le32(file), 0xa1b2c3d4u);
    GArray *offs = g_array_new(FALSE, FALSE, sizeof(size_t));
    size_t off = PCAP_FILE_HDR_LEN;
    while (off + PCAP_REC_HDR_LEN <= len) {
        g_array_append_val(offs, off);
        off += PCAP_REC_HDR_LEN + le32(file + off + 8);
    }
    assert_int_equal(off, len);
    return offs;
}

static gchar *write_temp(const void *bytes, size_t len, const char *suffix)
{
    GError *err = NULL;
    gchar *path = NULL;
    gchar *tmpl = g_strdup_printf("tlsscope-test-XXXXXX%s", suffix);
    int fd = g_file_open_tmp(tmpl, &path, &err);
    g_free(tmpl);
    assert_true(fd >= 0);
    close(fd);
    assert_true(g_file_set_contents(path, bytes, (gssize)len, &err));
    return path;
}

struct trunc_case {
    const char *name;
    unsigned record; /* the file is cut inside this record (0-based) */
    bool in_header;  /* cut inside its 16-byte record header rather than its data */
    bool then_whole; /* a whole cap.pcap follows the cut file in the list */
};

static const struct trunc_case TRUNC_CASES[] = {
    {"truncated_mid_data", 50, false, false},
    {"truncated_mid_record_header", 37, true, false},
    {"truncated_last_packet", 102, false, false},
    {"truncated_then_next_file", 20, false, true},
};

static void test_truncated_file(void **state)
{
    const struct trunc_case *tc = *state;
    gchar *bytes;
    gsize len;
    assert_true(g_file_get_contents(CAP_PCAP, &bytes, &len, NULL));
    GArray *offs = record_offsets((const uint8_t *)bytes, len);
    assert_true(tc->record < offs->len);
    size_t rec = g_array_index(offs, size_t, tc->record);
    size_t cut =
        tc->in_header ? rec + 5 : rec + PCAP_REC_HDR_LEN + le32((uint8_t *)bytes + rec + 8) / 2;
    gchar *path = write_temp(bytes, cut, ".pcap");

    struct collect whole, c;
    collect_init(&whole);
    collect_init(&c);
    read_file(CAP_PCAP, NULL, &whole);
    const char *paths[] = {path, CAP_PCAP};
    GError *err = NULL;
    struct cap_source *src = cap_source_open_files(paths, tc->then_whole ? 2 : 1, NULL, &err);
    assert_non_null(src);
    assert_int_equal(drain(src, &c, 0, &err), CAP_SOURCE_EOF);
    assert_null(err);
    /* Every packet before the cut, then (if listed) the whole next file. */
    size_t expect = tc->record + (tc->then_whole ? whole.pkts->len : 0);
    assert_int_equal(c.pkts->len, expect);
    assert_same_packets(&c, 0, &whole, tc->record);
    if (tc->then_whole) {
        assert_same_packets(&c, tc->record, &whole, whole.pkts->len);
    }
    struct cap_source_stats st;
    cap_source_get_stats(src, &st);
    assert_non_null(st.truncated_file);
    assert_string_equal(st.truncated_file, path);
    assert_int_equal(st.truncated_after_packets, tc->record);
    cap_source_free(src);
    g_unlink(path);
    g_free(path);
    g_array_unref(offs);
    g_free(bytes);
    collect_free(&whole);
    collect_free(&c);
}

/* A pcapng file cut anywhere inside a block ends early with the cut recorded, and what was read
 * is a prefix of the file. */
static void test_truncated_pcapng(void **state)
{
    (void)state;
    gchar *bytes;
    gsize len;
    assert_true(g_file_get_contents(CAP_PCAPNG, &bytes, &len, NULL));
    struct collect whole, c;
    collect_init(&whole);
    collect_init(&c);
    read_file(CAP_PCAPNG, NULL, &whole);
    gchar *path = write_temp(bytes, len / 2 + 3, ".pcapng");
    read_file(path, NULL, &c);
    assert_true(c.pkts->len > 0 && c.pkts->len < whole.pkts->len);
    assert_same_packets(&c, 0, &whole, c.pkts->len);
    const char *p = path;
    GError *err = NULL;
    struct cap_source *src = cap_source_open_files(&p, 1, NULL, &err);
    assert_non_null(src);
    collect_free(&c);
    collect_init(&c);
    assert_int_equal(drain(src, &c, 0, &err), CAP_SOURCE_EOF);
    struct cap_source_stats st;
    cap_source_get_stats(src, &st);
    assert_non_null(st.truncated_file);
    assert_int_equal(st.truncated_after_packets, c.pkts->len);
    cap_source_free(src);
    g_unlink(path);
    g_free(path);
    g_free(bytes);
    collect_free(&whole);
    collect_free(&c);
}

/* A nanosecond-precision pcap (magic a1b23c4d) is delivered in microseconds. */
static void test_nanosecond_file(void **state)
{
    (void)state;
    gchar *bytes;
    gsize len;
    assert_true(g_file_get_contents(CAP_PCAP, &bytes, &len, NULL));
    GArray *offs = record_offsets((const uint8_t *)bytes, len);
    size_t end = g_array_index(offs, size_t, 3); /* file header and the first 3 records */
    uint8_t *ns = g_memdup2(bytes, end);
    put_le32(ns, 0xa1b23c4du);
    int64_t want[3];
    for (int i = 0; i < 3; i++) {
        uint8_t *rec = ns + g_array_index(offs, size_t, i);
        uint32_t sec = le32(rec), usec = le32(rec + 4);
        want[i] = (int64_t)sec * 1000000 + usec;
        put_le32(rec + 4, usec * 1000 + 999); /* sub-microsecond digits must be dropped */
    }
    gchar *path = write_temp(ns, end, ".pcap");
    struct collect c;
    collect_init(&c);
    read_file(path, NULL, &c);
    assert_int_equal(c.pkts->len, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(g_array_index(c.pkts, struct pkt_rec, i).ts_us, want[i]);
    }
    g_unlink(path);
    g_free(path);
    g_free(ns);
    g_array_unref(offs);
    g_free(bytes);
    collect_free(&c);
}

/* ------------------------------------------------------------------ errors */

enum open_kind {
    OPEN_FILES,
    OPEN_MEMORY,
};

struct error_case {
    const char *name;
    enum open_kind kind;
    const char *path; /* or memory contents */
    const char *bpf;
    enum cap_error_code code;
    const char *msg_part1; /* must appear in the message */
    const char *msg_part2;
};

static const struct error_case ERROR_CASES[] = {
    {"err_missing_file", OPEN_FILES, LAB "no-such-capture.pcap", NULL, CAP_ERROR_OPEN,
     "no-such-capture.pcap", "No such file"},
    {"err_text_file", OPEN_FILES, LAB "README.md", NULL, CAP_ERROR_OPEN, "README.md",
     "unknown file format"},
    {"err_invalid_bpf", OPEN_FILES, CAP_PCAP, "tcp portx 14433", CAP_ERROR_FILTER, "tcp portx",
     "syntax error"},
    {"err_bpf_bad_port", OPEN_FILES, CAP_PCAP, "port 99999", CAP_ERROR_FILTER, "port 99999",
     "65535"},
    {"err_memory_not_capture", OPEN_MEMORY, "this is not a capture file at all", NULL,
     CAP_ERROR_OPEN, "in-memory", "unknown file format"},
    {"err_memory_invalid_bpf", OPEN_MEMORY, NULL, "ip and and", CAP_ERROR_FILTER, "ip and and",
     "syntax error"},
};

static void test_error_case(void **state)
{
    const struct error_case *tc = *state;
    GError *err = NULL;
    struct cap_source *src;
    gchar *bytes = NULL;
    if (tc->kind == OPEN_FILES) {
        src = cap_source_open_files(&tc->path, 1, tc->bpf, &err);
    } else {
        gsize len;
        if (tc->path != NULL) {
            bytes = g_strdup(tc->path);
            len = strlen(bytes);
        } else {
            assert_true(g_file_get_contents(CAP_PCAP, &bytes, &len, NULL));
        }
        src = cap_source_open_memory(bytes, len, tc->bpf, &err);
    }
    assert_null(src);
    assert_non_null(err);
    assert_true(err->domain == CAP_ERROR);
    assert_int_equal(err->code, tc->code);
    if (strstr(err->message, tc->msg_part1) == NULL ||
        strstr(err->message, tc->msg_part2) == NULL) {
        fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", err->message, tc->msg_part1,
                 tc->msg_part2);
    }
    g_error_free(err);
    g_free(bytes);
}

/* A bad name later in the list is met when reached: the first file's packets come first. */
static void test_missing_second_file(void **state)
{
    (void)state;
    struct collect one, c;
    collect_init(&one);
    collect_init(&c);
    read_file(CAP_PCAP, NULL, &one);
    const char *paths[] = {CAP_PCAP, LAB "missing-second.pcap"};
    GError *err = NULL;
    struct cap_source *src = cap_source_open_files(paths, 2, NULL, &err);
    assert_non_null(src);
    assert_int_equal(drain(src, &c, 0, &err), CAP_SOURCE_ERROR);
    assert_non_null(err);
    assert_int_equal(err->code, CAP_ERROR_OPEN);
    assert_non_null(strstr(err->message, "missing-second.pcap"));
    assert_int_equal(c.pkts->len, one.pkts->len);
    g_error_free(err);
    cap_source_free(src);
    collect_free(&one);
    collect_free(&c);
}

/* "-" reads stdin; run in a child whose stdin is cap.pcap. stdin may be a pipe, so its size is
 * never counted in the progress total. */
static void test_stdin(void **state)
{
    (void)state;
    struct collect one;
    collect_init(&one);
    read_file(CAP_PCAP, NULL, &one);
    guint want = one.pkts->len;
    collect_free(&one);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (freopen(CAP_PCAP, "rb", stdin) == NULL) {
            _exit(2);
        }
        const char *dash = "-";
        GError *err = NULL;
        struct cap_source *src = cap_source_open_files(&dash, 1, NULL, &err);
        if (src == NULL) {
            _exit(3);
        }
        struct collect c;
        collect_init(&c);
        c.src = src;
        enum cap_source_status st;
        while ((st = cap_source_dispatch(src, 0, on_packet, &c, &err)) == CAP_SOURCE_OK) {
        }
        struct cap_source_stats sst;
        cap_source_get_stats(src, &sst);
        _exit(st == CAP_SOURCE_EOF && c.pkts->len == want && sst.file_bytes_total == 0 ? 0 : 4);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_no_files(void **state)
{
    (void)state;
    GError *err = NULL;
    assert_null(cap_source_open_files(NULL, 0, NULL, &err));
    assert_int_equal(err->code, CAP_ERROR_OPEN);
    g_error_free(err);
}

/* ------------------------------------------------------------------ names, devices, live */

static void test_linktype_names(void **state)
{
    (void)state;
    assert_string_equal(cap_linktype_name(DLT_EN10MB), "EN10MB");
    assert_string_equal(cap_linktype_name(DLT_LINUX_SLL2), "LINUX_SLL2");
    assert_string_equal(cap_linktype_name(DLT_RAW), "RAW");
    assert_string_equal(cap_linktype_name(-5), "unknown");
}

static void test_list_interfaces(void **state)
{
    (void)state;
    GString *out = g_string_new(NULL);
    GError *err = NULL;
    assert_true(cap_list_interfaces(out, &err));
    gchar **lines = g_strsplit(out->str, "\n", -1);
    bool saw_lo = false;
    for (int i = 0; lines[i] != NULL && lines[i][0] != '\0'; i++) {
        gchar *prefix = g_strdup_printf("%d.", i + 1);
        assert_true(g_str_has_prefix(lines[i], prefix));
        g_free(prefix);
        if (strstr(lines[i], ".lo [") != NULL) {
            saw_lo = true;
            assert_non_null(strstr(lines[i], "Loopback"));
        }
    }
    if (g_file_test("/sys/class/net/lo", G_FILE_TEST_EXISTS)) {
        assert_true(saw_lo);
    }
    g_strfreev(lines);
    g_string_free(out, TRUE);
}

static void test_live_no_such_interface(void **state)
{
    (void)state;
    GError *err = NULL;
    struct cap_live_options o;
    cap_live_options_defaults(&o);
    assert_int_equal(o.snaplen, 262144);
    assert_true(o.promisc);
    assert_int_equal(o.timeout_ms, 100);
    struct cap_source *src = cap_source_open_live("nosuchif0", &o, NULL, &err);
    assert_null(src);
    assert_true(err->code == CAP_ERROR_OPEN || err->code == CAP_ERROR_ACTIVATE);
    assert_non_null(strstr(err->message, "nosuchif0"));
    g_error_free(err);
}

/* A watchdog: if the SYN never shows up, SIGALRM stops the source (from a signal handler, as
 * cli does) and the test fails instead of hanging. */
static struct cap_source *volatile g_live_src;

static void on_alarm(int sig)
{
    (void)sig;
    if (g_live_src != NULL) {
        cap_source_stop(g_live_src);
    }
}

static gpointer stop_later(gpointer src)
{
    g_usleep(200 * 1000);
    cap_source_stop(src);
    return NULL;
}

/* Live capture on lo needs CAP_NET_RAW; without it the failure must be an activation error.
 * Traffic: a connection attempt to 127.0.0.1:9 (discard; closed or not, a SYN goes out on lo).
 * Then, with nothing more to capture, a stop from another thread must end a blocked dispatch:
 * on Linux, TPACKET_V3 does not return from an idle wait when the timeout expires. */
static void test_live_loopback(void **state)
{
    (void)state;
    GError *err = NULL;
    struct cap_live_options o;
    cap_live_options_defaults(&o);
    o.timeout_ms = 20;
    const char *bpf = "dst host 127.0.0.1 and tcp dst port 9 and tcp[tcpflags] & tcp-syn != 0";
    struct cap_source *src = cap_source_open_live("lo", &o, bpf, &err);
    if (src == NULL) {
        assert_int_equal(err->code, CAP_ERROR_ACTIVATE);
        g_error_free(err);
        skip();
    }
    assert_true(cap_source_get_fd(src) >= 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    (void)connect(fd, (struct sockaddr *)&sin, sizeof(sin));
    struct collect c;
    collect_init(&c);
    c.src = src;
    g_live_src = src;
    signal(SIGALRM, on_alarm);
    alarm(5);
    enum cap_source_status st = CAP_SOURCE_OK;
    for (int i = 0; i < 50 && c.pkts->len == 0 && st == CAP_SOURCE_OK; i++) {
        st = cap_source_dispatch(src, 1, on_packet, &c, &err);
    }
    alarm(0);
    g_live_src = NULL;
    close(fd);
    assert_int_equal(st, CAP_SOURCE_OK);
    assert_int_equal(c.pkts->len, 1);
    const struct pkt_rec *r = &g_array_index(c.pkts, struct pkt_rec, 0);
    assert_int_equal(r->linktype, DLT_EN10MB);

    struct cap_source_stats sst;
    cap_source_get_stats(src, &sst);
    assert_true(sst.live);
    assert_true(sst.kernel_stats_valid);
    assert_true(sst.kernel_received >= 1);
    assert_int_equal(sst.packets, 1);
    assert_int_equal(sst.num_linktypes, 1);

    GThread *t = g_thread_new("stop", stop_later, src);
    do {
        st = cap_source_dispatch(src, 0, on_packet, &c, &err);
    } while (st == CAP_SOURCE_OK);
    g_thread_join(t);
    assert_int_equal(st, CAP_SOURCE_STOPPED);
    cap_source_free(src);
    collect_free(&c);

    src = cap_source_open_live("lo", &o, "tcp portx", &err);
    assert_null(src);
    assert_int_equal(err->code, CAP_ERROR_FILTER);
    g_error_free(err);
}

static void test_drop_privileges_unknown_user(void **state)
{
    (void)state;
    GError *err = NULL;
    assert_false(cap_drop_privileges("no-such-user-tlsscope", &err));
    assert_int_equal(err->code, CAP_ERROR_PRIVILEGE);
    assert_non_null(strstr(err->message, "no-such-user-tlsscope"));
    g_error_free(err);
}

/* The drop runs in a child so the test process keeps its identity. As root it must succeed and
 * leave no way back; as anyone else setgroups fails and that must be reported. */
static void test_drop_privileges_child(void **state)
{
    (void)state;
    struct passwd *pw = getpwnam("nobody");
    if (pw == NULL) {
        skip();
    }
    uid_t target = pw->pw_uid;
    bool root = geteuid() == 0;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        GError *err = NULL;
        bool ok = cap_drop_privileges("nobody", &err);
        if (root) {
            _exit(ok && getuid() == target && geteuid() == target && setuid(0) != 0 ? 0 : 1);
        }
        _exit(!ok && err != NULL && err->code == CAP_ERROR_PRIVILEGE ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    static const struct CMUnitTest singles[] = {
        cmocka_unit_test(test_bpf_matches_nothing),
        cmocka_unit_test(test_pcapng_same_as_pcap),
        cmocka_unit_test(test_two_files_in_sequence),
        cmocka_unit_test(test_batches_and_progress),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_memory_source),
        cmocka_unit_test(test_truncated_pcapng),
        cmocka_unit_test(test_nanosecond_file),
        cmocka_unit_test(test_missing_second_file),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_no_files),
        cmocka_unit_test(test_linktype_names),
        cmocka_unit_test(test_list_interfaces),
        cmocka_unit_test(test_live_no_such_interface),
        cmocka_unit_test(test_live_loopback),
        cmocka_unit_test(test_drop_privileges_unknown_user),
        cmocka_unit_test(test_drop_privileges_child),
    };
    size_t n_single = G_N_ELEMENTS(singles);
    size_t n =
        n_single + G_N_ELEMENTS(BPF_CASES) + G_N_ELEMENTS(TRUNC_CASES) + G_N_ELEMENTS(ERROR_CASES);
    struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    if (tests == NULL) {
        return 1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_single; i++) {
        tests[k++] = singles[i];
    }
    for (size_t i = 0; i < G_N_ELEMENTS(BPF_CASES); i++) {
        tests[k++] = (struct CMUnitTest){BPF_CASES[i].name, test_bpf_case, NULL, NULL,
                                         (void *)&BPF_CASES[i]};
    }
    for (size_t i = 0; i < G_N_ELEMENTS(TRUNC_CASES); i++) {
        tests[k++] = (struct CMUnitTest){TRUNC_CASES[i].name, test_truncated_file, NULL, NULL,
                                         (void *)&TRUNC_CASES[i]};
    }
    for (size_t i = 0; i < G_N_ELEMENTS(ERROR_CASES); i++) {
        tests[k++] = (struct CMUnitTest){ERROR_CASES[i].name, test_error_case, NULL, NULL,
                                         (void *)&ERROR_CASES[i]};
    }
    int rc = _cmocka_run_group_tests("pcap_source", tests, n, NULL, NULL);
    free(tests);
    return rc;
}
