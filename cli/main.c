/* tlsscope's entry point: options, input, privileges, signals, the capture loop, exit status.
 * Nothing else in the program prints to the user or exits. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heap_pages.h"
#include "options.h"
#include "tls_keylog.h"
#include "engine.h"
#include "progress.h"
#include "tlsscope_version.h"

#define EXIT_FINDINGS 1
#define EXIT_USAGE 2

static struct cap_source *volatile g_source;
static volatile sig_atomic_t g_stop_requested;

/* First signal: stop reading and report everything analyzed so far. SA_RESETHAND restores the
 * default action, so a second signal quits at once. */
static void on_signal(int sig)
{
    (void)sig;
    g_stop_requested = 1;
    if (g_source != NULL) {
        cap_source_stop(g_source);
    }
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static int fail(const char *what, const GError *error)
{
    fprintf(stderr, "tlsscope: %s%s%s\n", what ? what : "", what ? ": " : "",
            error ? error->message : "unknown error");
    return EXIT_USAGE;
}

struct run {
    struct engine *eng;
    struct cap_source *src;
    struct progress progress;
    const struct cli_options *opt;
    bool live;
    int64_t packets;
    int64_t wall_start_us;
    bool limit_reached;
    int64_t keylog_read_us; /* monotonic time the key logs were last read (live) */
};

/* Limits are checked per packet so that -c and an offline --duration stop at the same packet
 * on every run. */
static void on_packet(void *user, const struct cap_packet *pkt)
{
    struct run *r = user;
    if (r->limit_reached) {
        return;
    }
    if (!r->live && r->opt->duration > 0 && eng_packets(r->eng) > 0 &&
        (double)(pkt->ts_us - eng_first_ts_us(r->eng)) >= r->opt->duration * 1e6) {
        r->limit_reached = true;
        cap_source_stop(r->src);
        return;
    }
    eng_packet(r->eng, pkt);
    r->packets++;
    if (r->opt->count > 0 && r->packets >= r->opt->count) {
        r->limit_reached = true;
        cap_source_stop(r->src);
    }
}

static bool open_source(struct run *r, const struct cli_options *o, GError **error)
{
    if (o->iface != NULL) {
        r->live = true;
        r->src = cap_source_open_live(o->iface, &o->live, o->bpf, error);
    } else {
        r->src = cap_source_open_files((const char *const *)o->read_files->pdata,
                                       o->read_files->len, o->bpf, error);
    }
    return r->src != NULL;
}

/* Privileges go right after the device is open, before any packet is parsed (issue: capture as
 * root, parse as nobody). Reading files never needed them, so only live capture drops. */
static bool drop_privileges(const struct cli_options *o, GError **error)
{
    const char *user = o->drop_user;
    if (user == NULL) {
        if (geteuid() != 0) {
            return true;
        }
        user = "nobody";
    }
    if (strcmp(user, "root") == 0) {
        return true;
    }
    return cap_drop_privileges(user, error);
}

/* With TPACKET_V3 a read on an idle interface can block past the read timeout, so live capture
 * waits on the descriptor itself and --duration and signals are honoured on a quiet link. */
static bool wait_readable(struct cap_source *src)
{
    int fd = cap_source_get_fd(src);
    if (fd < 0) {
        return true;
    }
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    return poll(&pfd, 1, 200) > 0;
}

/* Live, a key log grows while the capture runs (SSLKEYLOGFILE is appended as clients
 * connect): it is read again once a second, from where the last read stopped, so a connection
 * finds keys that arrived before it ended (its alert records wait with it, a few per side). A
 * file that is gone for a moment (rotated) is tried again at the next second. */
static void refresh_keylogs(struct run *r)
{
    const struct cli_options *o = r->opt;
    if (!r->live || !o->keylog || o->keylog_files->len == 0) {
        return;
    }
    int64_t now = g_get_monotonic_time();
    if (now - r->keylog_read_us < 1000000) {
        return;
    }
    r->keylog_read_us = now;
    for (guint i = 0; i < o->keylog_files->len; i++) {
        GError *e = NULL;
        if (!tls_keylog_load_file(o->keylog, g_ptr_array_index(o->keylog_files, i), &e)) {
            g_clear_error(&e);
        }
    }
}

static void read_loop(struct run *r, bool *out_read_error, GError **error)
{
    const struct cli_options *o = r->opt;
    *out_read_error = false;
    for (;;) {
        if (g_stop_requested || r->limit_reached) {
            break;
        }
        refresh_keylogs(r);
        if (r->live && !wait_readable(r->src)) {
            /* Live packets carry the system clock: on an idle link it stands in for the next
             * packet's time, so connections that ended are written out (their NDJSON lines
             * flushed) now, not when traffic resumes. */
            eng_advance(r->eng, g_get_real_time());
            if (o->duration > 0 &&
                (double)(g_get_monotonic_time() - r->wall_start_us) >= o->duration * 1e6) {
                break;
            }
            continue;
        }
        int max = 0;
        if (o->count > 0) {
            int64_t left = o->count - r->packets;
            max = left > 4096 ? 4096 : (int)left;
        }
        (void)heap_pages_update();
        enum cap_source_status st = cap_source_dispatch(r->src, max, on_packet, r, error);
        progress_update(&r->progress, r->src);
        if (st == CAP_SOURCE_EOF || st == CAP_SOURCE_STOPPED) {
            break;
        }
        if (st == CAP_SOURCE_ERROR) {
            *out_read_error = true;
            break;
        }
        if (r->live && o->duration > 0 &&
            (double)(g_get_monotonic_time() - r->wall_start_us) >= o->duration * 1e6) {
            break;
        }
    }
}

static bool want_color(const struct cli_options *o, FILE *out)
{
    if (o->color == CLI_COLOR_ALWAYS) {
        return true;
    }
    if (o->color == CLI_COLOR_NEVER || getenv("NO_COLOR") != NULL) {
        return false;
    }
    return isatty(fileno(out));
}

static int run_capture(const struct cli_options *o)
{
    GError *error = NULL;
    struct run r;
    memset(&r, 0, sizeof(r));
    r.opt = o;
    r.wall_start_us = g_get_monotonic_time();

    if (!open_source(&r, o, &error)) {
        int rc = fail(NULL, error);
        g_clear_error(&error);
        return rc;
    }
    if (r.live && cap_source_warning(r.src) != NULL) {
        fprintf(stderr, "tlsscope: warning: %s\n", cap_source_warning(r.src));
    }

    /* The JSON or NDJSON stream may own stdout; the text summary then goes to stderr. */
    bool stdout_taken = (o->json_path && strcmp(o->json_path, "-") == 0) ||
                        (o->ndjson_path && strcmp(o->ndjson_path, "-") == 0);
    struct rpt_options ro;
    rpt_options_defaults(&ro);
    ro.version = TLSSCOPE_VERSION;
    ro.json_path = o->json_path;
    ro.ndjson_path = o->ndjson_path;
    ro.text_out = o->quiet ? NULL : (stdout_taken ? stderr : stdout);
    ro.all_records = o->all_records;
    ro.keep_defaults = o->keep_defaults;
    /* A live capture or a pipe on stdin is watched as it happens: each NDJSON line goes out at
     * once. Replaying files, lines are buffered (one write per line was most of the cost). */
    ro.ndjson_flush = r.live;
    for (guint i = 0; o->read_files && i < o->read_files->len; i++) {
        ro.ndjson_flush |= strcmp(g_ptr_array_index(o->read_files, i), "-") == 0;
    }
    ro.color = ro.text_out != NULL && want_color(o, ro.text_out);
    struct rpt_ctx *rpt = rpt_new(&ro, &error);
    if (rpt == NULL) {
        int rc = fail("cannot write the report", error);
        g_clear_error(&error);
        cap_source_free(r.src);
        return rc;
    }
    if (r.live && !drop_privileges(o, &error)) {
        int rc = fail("cannot drop privileges", error);
        g_clear_error(&error);
        rpt_free(rpt);
        cap_source_free(r.src);
        return rc;
    }

    struct eng_options eo;
    eng_options_defaults(&eo);
    eo.flow = o->flow;
    eo.tls = o->tls;
    eo.ndpi = !o->no_ndpi;
    eo.cls.skip_tls = o->no_ndpi_tls;
    eo.cls.memo = !o->no_ndpi_memo;
    eo.keylog = o->keylog;
    r.eng = eng_new(&eo, rpt, NULL, NULL, &error);
    if (error != NULL) {
        fprintf(stderr, "tlsscope: warning: %s; continuing without classification\n",
                error->message);
        g_clear_error(&error);
    }
    progress_init(&r.progress, !o->quiet && !r.live && isatty(STDERR_FILENO));
    g_source = r.src;
    bool read_error;
    read_loop(&r, &read_error, &error);
    g_source = NULL;
    progress_clear(&r.progress);
    if (read_error) {
        fprintf(stderr, "tlsscope: %s (reporting what was read before it)\n",
                error ? error->message : "read error");
        g_clear_error(&error);
    }

    eng_finish(r.eng);
    struct eng_capture_info ci;
    eng_capture_info(r.eng, r.src, &ci);
    if (ci.source.truncated_file != NULL) {
        fprintf(stderr,
                "tlsscope: warning: %s is cut short mid-packet (truncated capture) after %llu "
                "packets; everything before the cut was analyzed\n",
                ci.source.truncated_file, (unsigned long long)ci.source.truncated_after_packets);
    }
    ci.info.num_sources = r.live ? 1 : o->read_files->len;
    ci.info.sources =
        r.live ? (const char *const *)&o->iface : (const char *const *)o->read_files->pdata;
    ci.info.interrupted = g_stop_requested != 0;
    bool written = rpt_finish(rpt, &ci.info, &error);
    int rc = 0;
    if (!written) {
        rc = fail("cannot write the report", error);
        g_clear_error(&error);
    } else if (read_error) {
        rc = EXIT_USAGE;
    } else if (o->fail_on != RPT_SEV_NEVER && rpt_max_severity(rpt) >= (int)o->fail_on) {
        rc = EXIT_FINDINGS;
    }
    rpt_free(rpt);
    eng_free(r.eng);
    cap_source_free(r.src);
    return rc;
}

/* The key logs, read before anything else (and before privileges are dropped). A file that
 * cannot be read is an input error; bad lines in it are counted and named, never fatal. */
/* 200,000 randoms (about 56 MB at worst) keeps a run within its memory goal. */
#define KEYLOG_MAX 200000

static void add_secrets(void *user, uint32_t type, const uint8_t *data, size_t len)
{
    struct cli_options *o = user;
    if (type != CAP_SECRETS_TLS_KEYLOG) {
        return; /* SSH, WireGuard, ... secrets: nothing tlsscope reads */
    }
    if (!o->keylog) {
        o->keylog = tls_keylog_new(KEYLOG_MAX);
    }
    tls_keylog_add_text(o->keylog, (const char *)data, len, "pcapng secrets block");
}

static bool load_keylogs(struct cli_options *o)
{
    /* Secrets embedded in the capture files are key logs too; a file that cannot be opened is
     * reported by the read itself. */
    for (guint i = 0; i < o->read_files->len; i++) {
        const char *path = g_ptr_array_index(o->read_files, i);
        if (strcmp(path, "-") != 0) {
            (void)cap_pcapng_secrets(path, add_secrets, o, NULL);
        }
    }
    if (o->keylog_files->len == 0) {
        return true;
    }
    if (!o->keylog) {
        o->keylog = tls_keylog_new(KEYLOG_MAX);
    }
    for (guint i = 0; i < o->keylog_files->len; i++) {
        GError *error = NULL;
        if (!tls_keylog_load_file(o->keylog, g_ptr_array_index(o->keylog_files, i), &error)) {
            fail("cannot read the key log", error);
            g_clear_error(&error);
            return false;
        }
    }
    uint64_t bad = tls_keylog_bad_lines(o->keylog);
    if (bad > 0) {
        size_t n = 0;
        const char *const *ex = tls_keylog_bad_examples(o->keylog, &n);
        fprintf(stderr,
                "tlsscope: warning: key log: %" G_GUINT64_FORMAT " bad line%s skipped%s%s\n", bad,
                bad == 1 ? "" : "s", n ? ", first: " : "", n ? ex[0] : "");
    }
    return true;
}

int main(int argc, char **argv)
{
    struct cli_options o;
    GError *error = NULL;
    int rc;

    if (!cli_options_parse(argc, argv, &o, &error)) {
        rc = fail(NULL, error);
        g_clear_error(&error);
        cli_options_cleanup(&o);
        return rc;
    }
    if (o.show_help) {
        cli_print_usage(stdout);
        rc = 0;
    } else if (o.show_version) {
        printf("tlsscope %s\n", TLSSCOPE_VERSION);
        rc = 0;
    } else if (o.list_interfaces) {
        GString *s = g_string_new(NULL);
        if (cap_list_interfaces(s, &error)) {
            fputs(s->str, stdout);
            rc = 0;
        } else {
            rc = fail("cannot list interfaces", error);
            g_clear_error(&error);
        }
        g_string_free(s, TRUE);
    } else if (!load_keylogs(&o)) {
        rc = EXIT_USAGE;
    } else {
        install_signals();
        heap_pages_init();
        rc = run_capture(&o);
    }
    cli_options_cleanup(&o);
    return rc;
}
