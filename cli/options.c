/* Parsing of tlsscope's command line into struct cli_options. Numeric arguments are checked
 * completely (no trailing garbage, in range) because a silently misread cap is worse than a
 * refusal. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "tls_keylog.h"

#define CLI_ERROR (g_quark_from_static_string("cli-error"))

enum {
    OPT_DURATION = 256,
    OPT_FAIL_ON,
    OPT_NDJSON,
    OPT_NO_NDPI,
    OPT_ALL_RECORDS,
    OPT_KEEP_DEFAULTS,
    OPT_NO_NDPI_TLS,
    OPT_NO_NDPI_MEMO,
    OPT_VERIFY_CHECKSUMS,
    OPT_MAX_FLOWS,
    OPT_MAX_MEMORY,
    OPT_OOO_BYTES,
    OPT_OOO_SEGMENTS,
    OPT_TIMEOUT_EST,
    OPT_TIMEOUT_CLOSED,
    OPT_TIMEOUT_HALFOPEN,
    OPT_GAP_WAIT,
    OPT_MAX_HS_MSG,
    OPT_COLOR,
    OPT_VERSION,
    OPT_KEYLOG,
};

static const struct option long_options[] = {
    {"read", required_argument, NULL, 'r'},
    {"interface", required_argument, NULL, 'i'},
    {"snapshot-length", required_argument, NULL, 's'},
    {"buffer-size", required_argument, NULL, 'B'},
    {"count", required_argument, NULL, 'c'},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"no-promiscuous-mode", no_argument, NULL, 'p'},
    {"relinquish-privileges", required_argument, NULL, 'Z'},
    {"list-interfaces", no_argument, NULL, 'D'},
    {"output", required_argument, NULL, 'o'},
    {"ndjson", required_argument, NULL, OPT_NDJSON},
    {"quiet", no_argument, NULL, 'q'},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"no-ndpi", no_argument, NULL, OPT_NO_NDPI},
    {"all-records", no_argument, NULL, OPT_ALL_RECORDS},
    {"keep-defaults", no_argument, NULL, OPT_KEEP_DEFAULTS},
    {"no-ndpi-tls", no_argument, NULL, OPT_NO_NDPI_TLS},
    {"no-ndpi-memo", no_argument, NULL, OPT_NO_NDPI_MEMO},
    {"verify-checksums", no_argument, NULL, OPT_VERIFY_CHECKSUMS},
    {"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
    {"max-memory", required_argument, NULL, OPT_MAX_MEMORY},
    {"ooo-max-bytes", required_argument, NULL, OPT_OOO_BYTES},
    {"ooo-max-segments", required_argument, NULL, OPT_OOO_SEGMENTS},
    {"timeout-established", required_argument, NULL, OPT_TIMEOUT_EST},
    {"timeout-closed", required_argument, NULL, OPT_TIMEOUT_CLOSED},
    {"timeout-half-open", required_argument, NULL, OPT_TIMEOUT_HALFOPEN},
    {"gap-wait", required_argument, NULL, OPT_GAP_WAIT},
    {"max-handshake-message", required_argument, NULL, OPT_MAX_HS_MSG},
    {"color", required_argument, NULL, OPT_COLOR},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"keylog", required_argument, NULL, OPT_KEYLOG},
    {NULL, 0, NULL, 0},
};

void cli_print_usage(FILE *out)
{
    fputs("Usage: tlsscope -r FILE [-r FILE ...] [options] [BPF expression]\n"
          "       tlsscope -i IFACE [options] [BPF expression]\n"
          "       tlsscope -D\n"
          "\n"
          "Input:\n"
          "  -r FILE              read a pcap or pcapng file ('-' for stdin); repeat to read\n"
          "                       several files as one continuous capture\n"
          "  -i IFACE             capture live on IFACE\n"
          "  -s SNAPLEN           live snapshot length (default 262144)\n"
          "  -B KiB               live kernel buffer size (default 32768)\n"
          "  -c COUNT             stop after COUNT packets\n"
          "  --duration SECONDS   stop after SECONDS (live: wall clock; files: capture time)\n"
          "  -p                   do not put the interface in promiscuous mode\n"
          "  -Z USER              drop privileges to USER after opening the device\n"
          "                       (default when root: nobody; -Z root keeps root)\n"
          "  -D                   list interfaces and exit\n"
          "Output:\n"
          "  -o FILE              write the JSON report to FILE ('-' for stdout)\n"
          "  --ndjson FILE        stream NDJSON records to FILE ('-' for stdout)\n"
          "  -q                   no text summary, no progress\n"
          "  --color WHEN         auto (default), always, never\n"
          "  --fail-on SEVERITY   exit 1 when a finding of SEVERITY or worse is made\n"
          "                       (info, warning, error, never; default never)\n"
          "  --all-records        list the last TLS records of every connection (default:\n"
          "                       only of connections with a finding)\n"
          "  --keep-defaults      write every member of a connection record, also those\n"
          "                       holding their default (null, false, 0, [], {})\n"
          "Analysis:\n"
          "  --keylog FILE        TLS secrets in the NSS key log format (SSLKEYLOGFILE); the\n"
          "                       alerts of connections whose keys it holds are decrypted\n"
          "                       (repeatable)\n"
          "  --no-ndpi            skip nDPI flow classification\n"
          "  --no-ndpi-tls        skip nDPI only on flows that open with a TLS hello (faster;\n"
          "                       other flows are still classified)\n"
          "  --no-ndpi-memo       let nDPI read every TLS flow, even one that looks to it exactly\n"
          "                       like a flow it has read (slower; same report)\n"
          "  --verify-checksums   drop TCP segments with a bad checksum (off: captures taken on\n"
          "                       the sending host carry unfilled offloaded checksums)\n"
          "  --max-flows N        flows tracked at once (default 1000000)\n"
          "  --max-memory MiB     memory for flows and out-of-order data (default 512)\n"
          "  --ooo-max-bytes N    out-of-order bytes held per direction (default 1048576)\n"
          "  --ooo-max-segments N out-of-order segments held per direction (default 1024)\n"
          "  --timeout-established S, --timeout-closed S, --timeout-half-open S\n"
          "                       idle timeouts in capture seconds (default 300, 2, 30)\n"
          "  --gap-wait S         how long an acknowledged hole waits for its data (default 1)\n"
          "  --max-handshake-message N  cap on one handshake message (default 262144)\n"
          "  -h, --help           this help\n"
          "  --version            print the version\n"
          "\n"
          "Exit status: 0 success, 1 a finding at or above --fail-on, 2 usage or input error.\n",
          out);
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    if (*s == '\0' || *s == '-') {
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return false;
    }
    *out = v;
    return true;
}

static bool parse_seconds(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0 || v > 1e9) {
        return false;
    }
    *out = v;
    return true;
}

static bool bad_value(GError **error, const char *opt, const char *val)
{
    g_set_error(error, CLI_ERROR, 0, "invalid value '%s' for %s", val, opt);
    return false;
}

bool cli_options_parse(int argc, char **argv, struct cli_options *o, GError **error)
{
    memset(o, 0, sizeof(*o));
    o->read_files = g_ptr_array_new_with_free_func(g_free);
    o->keylog_files = g_ptr_array_new_with_free_func(g_free);
    cap_live_options_defaults(&o->live);
    cap_flow_config_defaults(&o->flow);
    tls_config_defaults(&o->tls);
    o->fail_on = RPT_SEV_NEVER;

    optind = 1;
    opterr = 0;
    int c;
    uint64_t u;
    double d;
    /* '+' stops at the first non-option, as tcpdump's BPF expression follows the options. */
    while ((c = getopt_long(argc, argv, "+r:i:s:B:c:pZ:Do:qh", long_options, NULL)) != -1) {
        switch (c) {
        case 'r':
            g_ptr_array_add(o->read_files, g_strdup(optarg));
            break;
        case 'i':
            g_free(o->iface);
            o->iface = g_strdup(optarg);
            break;
        case 's':
            if (!parse_u64(optarg, 0, 262144, &u)) {
                return bad_value(error, "-s", optarg);
            }
            /* tcpdump: 0 means the default (262144). */
            o->live.snaplen = u == 0 ? 262144 : (int)u;
            break;
        case 'B':
            if (!parse_u64(optarg, 1, 4 * 1024 * 1024, &u)) {
                return bad_value(error, "-B", optarg);
            }
            o->live.buffer_kib = (int)u;
            break;
        case 'c':
            if (!parse_u64(optarg, 1, INT64_MAX, &u)) {
                return bad_value(error, "-c", optarg);
            }
            o->count = (int64_t)u;
            break;
        case OPT_DURATION:
            if (!parse_seconds(optarg, &d) || d == 0) {
                return bad_value(error, "--duration", optarg);
            }
            o->duration = d;
            break;
        case 'p':
            o->live.promisc = false;
            break;
        case 'Z':
            g_free(o->drop_user);
            o->drop_user = g_strdup(optarg);
            break;
        case 'D':
            o->list_interfaces = true;
            break;
        case 'o':
            g_free(o->json_path);
            o->json_path = g_strdup(optarg);
            break;
        case OPT_KEYLOG:
            g_ptr_array_add(o->keylog_files, g_strdup(optarg));
            break;
        case OPT_NDJSON:
            g_free(o->ndjson_path);
            o->ndjson_path = g_strdup(optarg);
            break;
        case 'q':
            o->quiet = true;
            break;
        case OPT_COLOR:
            if (strcmp(optarg, "auto") == 0) {
                o->color = CLI_COLOR_AUTO;
            } else if (strcmp(optarg, "always") == 0) {
                o->color = CLI_COLOR_ALWAYS;
            } else if (strcmp(optarg, "never") == 0) {
                o->color = CLI_COLOR_NEVER;
            } else {
                return bad_value(error, "--color", optarg);
            }
            break;
        case OPT_FAIL_ON:
            if (!rpt_severity_parse(optarg, &o->fail_on)) {
                return bad_value(error, "--fail-on", optarg);
            }
            break;
        case OPT_NO_NDPI:
            o->no_ndpi = true;
            break;
        case OPT_ALL_RECORDS:
            o->all_records = true;
            break;
        case OPT_KEEP_DEFAULTS:
            o->keep_defaults = true;
            break;
        case OPT_NO_NDPI_TLS:
            o->no_ndpi_tls = true;
            break;
        case OPT_NO_NDPI_MEMO:
            o->no_ndpi_memo = true;
            break;
        case OPT_VERIFY_CHECKSUMS:
            o->flow.verify_checksums = true;
            break;
        case OPT_MAX_FLOWS:
            if (!parse_u64(optarg, 1, UINT32_MAX, &u)) {
                return bad_value(error, "--max-flows", optarg);
            }
            o->flow.max_flows = (uint32_t)u;
            break;
        case OPT_MAX_MEMORY:
            if (!parse_u64(optarg, 1, 1024 * 1024, &u)) {
                return bad_value(error, "--max-memory", optarg);
            }
            o->flow.max_memory = u * 1024 * 1024;
            break;
        case OPT_OOO_BYTES:
            if (!parse_u64(optarg, 0, UINT32_MAX, &u)) {
                return bad_value(error, "--ooo-max-bytes", optarg);
            }
            o->flow.ooo_max_bytes = (uint32_t)u;
            break;
        case OPT_OOO_SEGMENTS:
            if (!parse_u64(optarg, 0, UINT32_MAX, &u)) {
                return bad_value(error, "--ooo-max-segments", optarg);
            }
            o->flow.ooo_max_segments = (uint32_t)u;
            break;
        case OPT_TIMEOUT_EST:
        case OPT_TIMEOUT_CLOSED:
        case OPT_TIMEOUT_HALFOPEN:
        case OPT_GAP_WAIT: {
            if (!parse_seconds(optarg, &d) || d == 0) {
                return bad_value(error, argv[optind - 1], optarg);
            }
            int64_t us = (int64_t)llround(d * 1e6);
            if (c == OPT_TIMEOUT_EST) {
                o->flow.timeout_established_us = us;
            } else if (c == OPT_TIMEOUT_CLOSED) {
                o->flow.timeout_closed_us = us;
            } else if (c == OPT_TIMEOUT_HALFOPEN) {
                o->flow.timeout_halfopen_us = us;
            } else {
                o->flow.gap_wait_us = us;
            }
            break;
        }
        case OPT_MAX_HS_MSG:
            if (!parse_u64(optarg, 64, 16 * 1024 * 1024, &u)) {
                return bad_value(error, "--max-handshake-message", optarg);
            }
            o->tls.max_handshake_msg = (uint32_t)u;
            break;
        case 'h':
            o->show_help = true;
            break;
        case OPT_VERSION:
            o->show_version = true;
            break;
        case '?':
        default:
            if (optopt != 0 && optopt < 256) {
                g_set_error(error, CLI_ERROR, 0, "unknown option or missing argument: -%c", optopt);
            } else {
                g_set_error(error, CLI_ERROR, 0, "unknown option or missing argument: %s",
                            argv[optind - 1]);
            }
            return false;
        }
    }
    if (optind < argc) {
        o->bpf = g_strjoinv(" ", argv + optind);
    }
    if (o->show_help || o->show_version || o->list_interfaces) {
        return true;
    }
    if (o->read_files->len == 0 && o->iface == NULL) {
        g_set_error(error, CLI_ERROR, 0, "nothing to read: give -r FILE or -i IFACE (see --help)");
        return false;
    }
    if (o->read_files->len > 0 && o->iface != NULL) {
        g_set_error(error, CLI_ERROR, 0, "-r and -i cannot be used together");
        return false;
    }
    return true;
}

void cli_options_cleanup(struct cli_options *o)
{
    if (o->read_files) {
        g_ptr_array_free(o->read_files, TRUE);
    }
    if (o->keylog_files) {
        g_ptr_array_free(o->keylog_files, TRUE);
    }
    tls_keylog_free(o->keylog);
    g_free(o->iface);
    g_free(o->bpf);
    g_free(o->drop_user);
    g_free(o->json_path);
    g_free(o->ndjson_path);
    memset(o, 0, sizeof(*o));
}
