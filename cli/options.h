/* Command-line options of tlsscope, parsed tcpdump-style: short options where tcpdump has them,
 * the BPF expression as the trailing arguments. */
#ifndef TLSSCOPE_CLI_OPTIONS_H
#define TLSSCOPE_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "dissect.h"
#include "report.h"

enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

struct cli_options {
    GPtrArray *read_files; /* char *, owned */
    char *iface;
    char *bpf; /* joined trailing arguments, NULL when none */
    struct cap_live_options live;
    int64_t count;        /* -c: stop after this many packets; 0 = no limit */
    double duration;      /* --duration seconds; 0 = no limit */
    char *drop_user;      /* -Z */
    bool list_interfaces; /* -D */
    bool quiet;           /* -q */
    bool show_help, show_version;
    enum cli_color color;
    enum rpt_severity fail_on;
    char *json_path;
    char *ndjson_path;
    bool no_ndpi;
    bool all_records; /* --all-records */
    bool keep_defaults; /* --keep-defaults */
    bool no_ndpi_tls; /* --no-ndpi-tls */
    bool no_ndpi_memo; /* --no-ndpi-memo */
    GPtrArray *keylog_files;   /* --keylog, char *, owned */
    struct tls_keylog *keylog; /* loaded from keylog_files by main; owned */
    struct cap_flow_config flow;
    struct tls_config tls;
};

/* cli_options_parse: fills *o from argv. Returns false with a one-line message in *error for a
 * usage error. o must be released with cli_options_cleanup either way. */
bool cli_options_parse(int argc, char **argv, struct cli_options *o, GError **error);
void cli_options_cleanup(struct cli_options *o);
void cli_print_usage(FILE *out);

#endif
