/* Packet sources over libpcap: the only file that includes <pcap.h>. A source is either a list
 * of capture files (pcap or pcapng, "-" for stdin) read in order as one packet sequence, an
 * in-memory capture, or a live interface. Each file gets its own pcap handle and its own compiled
 * BPF program, because files in one list may differ in link type. A file cut short mid-packet
 * (a capture that was still being written, a copy that ran out of disk) ends that file, is
 * recorded in the stats, and reading goes on with the next file. Timestamps are delivered in
 * microseconds whatever the file's precision. Also here: the interface list and the privilege
 * drop that follows opening a live capture, both of which are libpcap-adjacent setup. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <pcap.h>

#include "capture.h"

#define CAP_FILE_BUFFER (64 * 1024)

/* Packets one dispatch call takes from a file when the caller sets no limit. libpcap would
 * otherwise read a whole file in one call, leaving the caller no chance to show progress or
 * honour a stop between packets of a multi-gigabyte file. */
#define FILE_DISPATCH_BATCH 4096

/* libpcap's wording for a file that ends inside a packet record, in sf-pcap.c ("truncated dump
 * file; tried to read N captured bytes, only got M") and sf-pcapng.c ("truncated pcapng dump
 * file; ..."). libpcap has no error code for it, so the text is the only signal. */
#define PCAP_TRUNCATED_MARK "truncated"

struct cap_source {
    int64_t last_ts_us; /* time of the last packet with a representable timestamp */
    /* Current handle; NULL between files. volatile because cap_source_stop reads it from a
     * signal handler: it is cleared before a handle is closed and set after one is ready. */
    pcap_t *volatile pcap;
    bool live;
    bool memory;
    /* Set by cap_source_stop (possibly from a signal handler), read by the dispatch loop. */
    volatile sig_atomic_t stop_requested;

    char **paths; /* files still to read after the current one start at next_path */
    size_t num_paths;
    size_t next_path;
    const char *cur_path;
    char *file_buf; /* stdio buffer of the file being read (CAP_FILE_BUFFER bytes) */
    char *bpf;
    uint64_t *file_sizes; /* 0 when not a regular file */
    uint64_t bytes_done;  /* sizes of files already finished */
    uint64_t mem_len;

    int linktype;
    char *warning;
    char *truncated_file;
    struct cap_source_stats stats;

    cap_packet_fn fn; /* valid during a dispatch call */
    void *fn_user;
};

static struct cap_source *source_new(void)
{
    struct cap_source *src = g_new0(struct cap_source, 1);
    return src;
}

void cap_live_options_defaults(struct cap_live_options *o)
{
    o->snaplen = 262144; /* tcpdump's default: whole GSO/TSO-sized loopback segments */
    /* libpcap's 2 MiB ring holds under 2 ms of a 10 Gb/s link and drops in bursts; 32 MiB
     * (TPACKET_V3 blocks) rides out about 25 ms. -B changes it. */
    o->buffer_kib = 32768;
    o->promisc = true;
    o->timeout_ms = 100;
}

static void note_linktype(struct cap_source *src, int linktype)
{
    src->linktype = linktype;
    for (size_t i = 0; i < src->stats.num_linktypes; i++) {
        if (src->stats.linktypes[i] == linktype) {
            return;
        }
    }
    if (src->stats.num_linktypes < CAP_MAX_LINKTYPES) {
        src->stats.linktypes[src->stats.num_linktypes++] = linktype;
    }
}

/* Compiles and installs bpf on p. The expression is compiled per handle because its meaning
 * depends on the link type. */
static bool apply_filter(pcap_t *p, const char *bpf, const char *what, GError **error)
{
    if (bpf == NULL || bpf[0] == '\0') {
        return true;
    }
    struct bpf_program prog;
    if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_FILTER, "invalid capture filter \"%s\" for %s: %s",
                    bpf, what, pcap_geterr(p));
        return false;
    }
    int rc = pcap_setfilter(p, &prog);
    pcap_freecode(&prog);
    if (rc != 0) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_FILTER,
                    "cannot install capture filter \"%s\" on %s: %s", bpf, what, pcap_geterr(p));
        return false;
    }
    return true;
}

/* Opens the next file of the list as the current handle. */
static bool open_next_file(struct cap_source *src, GError **error)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    const char *path = src->paths[src->next_path];
    /* Nanosecond files are scaled by libpcap, so every source speaks microseconds. */
    pcap_t *p;
    if (strcmp(path, "-") == 0) {
        p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    } else {
        FILE *fp = fopen(path, "rb");
        if (fp == NULL) {
            g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "cannot read capture file \"%s\": %s",
                        path, g_strerror(errno));
            return false;
        }
        /* libpcap reads each record through stdio: a larger buffer makes that one read(2) per
         * 64 KB instead of per 4 KB (64 KB measured best: a 1 MB one falls out of the L2 cache
         * between the kernel's copy and libpcap's). glibc ignores the size unless it is given
         * the buffer, so the source owns one; files are read one at a time, so one is enough. */
        if (src->file_buf == NULL) {
            src->file_buf = g_malloc(CAP_FILE_BUFFER);
        }
        setvbuf(fp, src->file_buf, _IOFBF, CAP_FILE_BUFFER);
        /* Only this thread reads the file: libpcap's two freads per record need not take and
         * release the stream's lock each. */
        __fsetlocking(fp, FSETLOCKING_BYCALLER);
        p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
        if (p == NULL) {
            fclose(fp);
        }
    }
    if (p == NULL) {
        /* libpcap prefixes system errors with the name ("x.pcap: No such file or directory"). */
        const char *reason = errbuf;
        size_t path_len = strlen(path);
        if (strncmp(reason, path, path_len) == 0 && strncmp(reason + path_len, ": ", 2) == 0) {
            reason += path_len + 2;
        }
        g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "cannot read capture file \"%s\": %s", path,
                    reason);
        return false;
    }
    if (!apply_filter(p, src->bpf, path, error)) {
        pcap_close(p);
        return false;
    }
    src->cur_path = path;
    src->next_path++;
    note_linktype(src, pcap_datalink(p));
    src->pcap = p;
    return true;
}

static void close_current(struct cap_source *src)
{
    if (src->pcap == NULL) {
        return;
    }
    if (!src->live && !src->memory && src->next_path > 0) {
        src->bytes_done += src->file_sizes[src->next_path - 1];
    }
    pcap_t *p = src->pcap;
    src->pcap = NULL;
    src->cur_path = NULL;
    pcap_close(p);
}

struct cap_source *cap_source_open_files(const char *const *paths, size_t num_paths,
                                         const char *bpf, GError **error)
{
    if (num_paths == 0) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "no capture file given");
        return NULL;
    }
    struct cap_source *src = source_new();
    src->paths = g_new0(char *, num_paths + 1);
    src->file_sizes = g_new0(uint64_t, num_paths);
    src->num_paths = num_paths;
    src->bpf = g_strdup(bpf);
    for (size_t i = 0; i < num_paths; i++) {
        src->paths[i] = g_strdup(paths[i]);
        struct stat st;
        /* Progress is only known for regular files; stdin and pipes count as size 0. */
        if (strcmp(paths[i], "-") != 0 && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode)) {
            src->file_sizes[i] = (uint64_t)st.st_size;
            src->stats.file_bytes_total += (uint64_t)st.st_size;
        }
    }
    src->stats.num_files = num_paths;
    if (!open_next_file(src, error)) {
        cap_source_free(src);
        return NULL;
    }
    return src;
}

struct cap_source *cap_source_open_memory(const void *bytes, size_t len, const char *bpf,
                                          GError **error)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    if (len == 0) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "empty in-memory capture");
        return NULL;
    }
    /* fmemopen only reads the buffer; the cast drops const for its prototype. */
    FILE *fp = fmemopen((void *)bytes, len, "rb");
    if (fp == NULL) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "fmemopen: %s", g_strerror(errno));
        return NULL;
    }
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (p == NULL) {
        fclose(fp);
        g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "cannot read in-memory capture: %s", errbuf);
        return NULL;
    }
    if (!apply_filter(p, bpf, "the in-memory capture", error)) {
        pcap_close(p); /* closes fp too */
        return NULL;
    }
    struct cap_source *src = source_new();
    src->memory = true;
    src->pcap = p;
    src->cur_path = "(memory)";
    src->mem_len = len;
    src->stats.file_bytes_total = len;
    src->stats.num_files = 1;
    src->stats.file_index = 1;
    note_linktype(src, pcap_datalink(p));
    return src;
}

struct cap_source *cap_source_open_live(const char *iface, const struct cap_live_options *o,
                                        const char *bpf, GError **error)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    struct cap_live_options defaults;
    if (o == NULL) {
        cap_live_options_defaults(&defaults);
        o = &defaults;
    }
    pcap_t *p = pcap_create(iface, errbuf);
    if (p == NULL) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "cannot open interface \"%s\": %s",
                    iface ? iface : "(default)", errbuf);
        return NULL;
    }
    /* Options set before activation only fail on an already active handle, which this is not. */
    (void)pcap_set_snaplen(p, o->snaplen > 0 ? o->snaplen : 262144);
    (void)pcap_set_promisc(p, o->promisc ? 1 : 0);
    (void)pcap_set_timeout(p, o->timeout_ms);
    if (o->buffer_kib > 0) {
        (void)pcap_set_buffer_size(p, o->buffer_kib * 1024);
    }
    /* Batched delivery: analysis needs no per-packet latency, and batches cost less CPU. */
    (void)pcap_set_immediate_mode(p, 0);
    int rc = pcap_activate(p);
    if (rc < 0) {
        /* The generic codes carry their detail in pcap_geterr; the specific ones may not. */
        const char *detail = pcap_geterr(p);
        g_set_error(error, CAP_ERROR,
                    rc == PCAP_ERROR_NO_SUCH_DEVICE ? CAP_ERROR_OPEN : CAP_ERROR_ACTIVATE,
                    "cannot capture on \"%s\": %s%s%s", iface ? iface : "(default)",
                    pcap_statustostr(rc), detail[0] ? ": " : "", detail);
        pcap_close(p);
        return NULL;
    }
    struct cap_source *src = source_new();
    src->live = true;
    src->pcap = p;
    src->stats.live = true;
    if (rc > 0) {
        const char *detail =
            rc == PCAP_WARNING || rc == PCAP_WARNING_PROMISC_NOTSUP ? pcap_geterr(p) : "";
        src->warning =
            g_strdup_printf("%s%s%s", pcap_statustostr(rc), detail[0] ? ": " : "", detail);
    }
    if (!apply_filter(p, bpf, iface ? iface : "the default interface", error)) {
        cap_source_free(src);
        return NULL;
    }
    note_linktype(src, pcap_datalink(p));
    return src;
}

void cap_source_free(struct cap_source *src)
{
    if (src == NULL) {
        return;
    }
    if (src->pcap != NULL) {
        pcap_close(src->pcap);
    }
    g_free(src->file_buf); /* after the FILE that used it is closed */
    g_strfreev(src->paths);
    g_free(src->file_sizes);
    g_free(src->bpf);
    g_free(src->warning);
    g_free(src->truncated_file);
    g_free(src);
}

/* RFC 3339 dates run from year 0000 to 9999: 0001-01-01 and 9999-12-31T23:59:59 in Unix
 * seconds. A time outside them cannot be written in the report, nor come from a real clock. */
#define TS_MIN_SECONDS (-62135596800LL)
#define TS_MAX_SECONDS 253402300799LL

/* Microseconds since the epoch. pcapng timestamps are 64-bit in if_tsresol units, so libpcap
 * can hand back seconds far outside any real clock (up to 2^64 microseconds, or seconds with
 * if_tsresol 0); such a packet keeps the previous packet's time (counted in bad_timestamps)
 * rather than overflow, or jump every flow's idle clock to the end of time. A classic pcap
 * microsecond field of a million or more is clamped. */
static int64_t ts_micros(struct cap_source *src, const struct timeval *tv)
{
    if ((int64_t)tv->tv_sec < TS_MIN_SECONDS || (int64_t)tv->tv_sec > TS_MAX_SECONDS) {
        src->stats.bad_timestamps++;
        return src->last_ts_us;
    }
    int64_t us = tv->tv_usec < 0 ? 0 : (tv->tv_usec > 999999 ? 999999 : (int64_t)tv->tv_usec);
    src->last_ts_us = (int64_t)tv->tv_sec * 1000000 + us; /* |tv_sec| < 2^38: cannot overflow */
    return src->last_ts_us;
}

static void on_pcap_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct cap_source *src = (struct cap_source *)user;
    struct cap_packet pkt = {
        .ts_us = ts_micros(src, &h->ts),
        .linktype = src->linktype,
        .data = bytes,
        .caplen = h->caplen,
        .len = h->len,
    };
    src->stats.packets++;
    src->stats.bytes += h->len;
    src->fn(src->fn_user, &pkt);
    /* Covers a stop from another thread that landed while the handle was being replaced. */
    if (src->stop_requested) {
        pcap_breakloop(src->pcap);
    }
}

static bool is_truncation(const char *msg)
{
    return strstr(msg, PCAP_TRUNCATED_MARK) != NULL;
}

enum cap_source_status cap_source_dispatch(struct cap_source *src, int max_packets,
                                           cap_packet_fn fn, void *user, GError **error)
{
    src->fn = fn;
    src->fn_user = user;
    uint64_t before = src->stats.packets;
    for (;;) {
        if (src->stop_requested) {
            return CAP_SOURCE_STOPPED;
        }
        if (src->pcap == NULL) {
            if (src->live || src->memory || src->next_path >= src->num_paths) {
                return CAP_SOURCE_EOF;
            }
            if (!open_next_file(src, error)) {
                return CAP_SOURCE_ERROR;
            }
        }
        int cnt = max_packets;
        if (!src->live && cnt <= 0) {
            cnt = FILE_DISPATCH_BATCH;
        }
        int n = pcap_dispatch(src->pcap, cnt, on_pcap_packet, (u_char *)src);
        if (n == PCAP_ERROR_BREAK) {
            if (src->stop_requested) {
                return CAP_SOURCE_STOPPED;
            }
            continue;
        }
        if (n == PCAP_ERROR) {
            const char *msg = pcap_geterr(src->pcap);
            if (src->live || !is_truncation(msg)) {
                g_set_error(error, CAP_ERROR, CAP_ERROR_READ, "error reading %s: %s",
                            src->live ? "the interface" : src->cur_path, msg);
                return CAP_SOURCE_ERROR;
            }
            if (src->truncated_file == NULL) {
                src->truncated_file = g_strdup(src->cur_path);
                src->stats.truncated_file = src->truncated_file;
                src->stats.truncated_after_packets = src->stats.packets;
            }
            close_current(src);
        } else if (!src->live && n < cnt && !src->stop_requested) {
            /* Fewer than asked for from a file means its end was reached. */
            close_current(src);
        }
        if (src->live || src->stats.packets > before) {
            return src->stop_requested ? CAP_SOURCE_STOPPED : CAP_SOURCE_OK;
        }
    }
}

void cap_source_stop(struct cap_source *src)
{
    src->stop_requested = 1;
    /* pcap_breakloop only sets a flag (and, for live Linux handles, writes an eventfd to wake a
     * blocked poll), both async-signal-safe. It must reach libpcap even for files: with a BPF
     * that rejects everything, the read loop inside pcap_dispatch calls us back for nothing and
     * would otherwise run to the end of the file. A handler interrupts the dispatching thread
     * between two instructions, and the handle is unpublished before it is closed, so the
     * pointer read here is either NULL or a live handle. */
    pcap_t *p = src->pcap;
    if (p != NULL) {
        pcap_breakloop(p);
    }
}

int cap_source_get_fd(const struct cap_source *src)
{
    if (!src->live || src->pcap == NULL) {
        return -1;
    }
    return pcap_get_selectable_fd(src->pcap);
}

void cap_source_get_stats(struct cap_source *src, struct cap_source_stats *out)
{
    if (src->live) {
        struct pcap_stat ps;
        if (src->pcap != NULL && pcap_stats(src->pcap, &ps) == 0) {
            src->stats.kernel_stats_valid = true;
            src->stats.kernel_received = ps.ps_recv;
            src->stats.kernel_drops = ps.ps_drop;
            src->stats.interface_drops = ps.ps_ifdrop;
        }
    } else {
        uint64_t pos = src->bytes_done;
        if (src->pcap != NULL) {
            long off = ftell(pcap_file(src->pcap));
            if (off > 0) {
                pos += (uint64_t)off;
            }
        } else if (src->memory) {
            pos = src->mem_len;
        }
        src->stats.file_bytes_read = pos;
        src->stats.file_index = src->memory ? 1 : src->next_path;
        src->stats.current_file = src->cur_path;
        /* Packets so far scaled by the share of bytes read; pcap records have no count. */
        src->stats.packets_estimate = 0;
        if (src->stats.file_bytes_total > 0 && pos > 0) {
            double share = (double)pos / (double)src->stats.file_bytes_total;
            src->stats.packets_estimate =
                share >= 1.0 ? src->stats.packets : (uint64_t)((double)src->stats.packets / share);
        }
    }
    *out = src->stats;
}

const char *cap_source_warning(const struct cap_source *src)
{
    return src->warning;
}

const char *cap_linktype_name(int linktype)
{
    const char *name = pcap_datalink_val_to_name(linktype);
    return name != NULL ? name : "unknown";
}

/* Flag names in tcpdump -D's order and wording. */
static void append_flags(GString *out, bpf_u_int32 flags)
{
    static const struct {
        bpf_u_int32 bit;
        const char *name;
    } names[] = {
        {PCAP_IF_UP, "Up"},
        {PCAP_IF_RUNNING, "Running"},
        {PCAP_IF_LOOPBACK, "Loopback"},
        {PCAP_IF_WIRELESS, "Wireless"},
    };
    bool any = false;
    g_string_append(out, " [");
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (flags & names[i].bit) {
            g_string_append_printf(out, "%s%s", any ? ", " : "", names[i].name);
            any = true;
        }
    }
    if (!any) {
        g_string_append(out, "none");
    }
    bool wireless = (flags & PCAP_IF_WIRELESS) != 0;
    switch (flags & PCAP_IF_CONNECTION_STATUS) {
    case PCAP_IF_CONNECTION_STATUS_UNKNOWN:
        g_string_append(out,
                        wireless ? ", Association status unknown" : ", Connection status unknown");
        break;
    case PCAP_IF_CONNECTION_STATUS_CONNECTED:
        g_string_append(out, wireless ? ", Associated" : ", Connected");
        break;
    case PCAP_IF_CONNECTION_STATUS_DISCONNECTED:
        g_string_append(out, wireless ? ", Not associated" : ", Disconnected");
        break;
    default:
        break;
    }
    g_string_append(out, "]");
}

bool cap_list_interfaces(GString *out, GError **error)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_if_t *devs = NULL;
    if (pcap_findalldevs(&devs, errbuf) != 0) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_OPEN, "cannot list interfaces: %s", errbuf);
        return false;
    }
    unsigned i = 1;
    for (pcap_if_t *d = devs; d != NULL; d = d->next, i++) {
        g_string_append_printf(out, "%u.%s", i, d->name);
        if (d->description != NULL) {
            g_string_append_printf(out, " (%s)", d->description);
        }
        if (d->flags != 0) {
            append_flags(out, d->flags);
        }
        g_string_append_c(out, '\n');
    }
    pcap_freealldevs(devs);
    return true;
}

bool cap_drop_privileges(const char *user, GError **error)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (pw == NULL) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_PRIVILEGE, "cannot drop privileges to \"%s\": %s",
                    user, errno ? g_strerror(errno) : "no such user");
        return false;
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = pw->pw_gid;
    /* Groups first, then gid, then uid: once the uid is gone the others can no longer be
     * changed. Supplementary groups are cut to the user's primary group alone, so nothing
     * inherited from root's session survives. */
    const char *step = NULL;
    if (setgroups(1, &gid) != 0) {
        step = "setgroups";
    } else if (setgid(gid) != 0) {
        step = "setgid";
    } else if (setuid(uid) != 0) {
        step = "setuid";
    }
    if (step != NULL) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_PRIVILEGE,
                    "cannot drop privileges to \"%s\": %s: %s", user, step, g_strerror(errno));
        return false;
    }
    /* A saved set-user-ID of 0 would let the process take root back: prove it cannot. */
    if (uid != 0 && setuid(0) != -1) {
        g_set_error(error, CAP_ERROR, CAP_ERROR_PRIVILEGE,
                    "privileges dropped to \"%s\" could be regained", user);
        return false;
    }
    return true;
}
