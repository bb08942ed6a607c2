/* Report options and the severity scale shared by findings and --fail-on. */
#include <string.h>

#include "report_internal.h"

void rpt_options_defaults(struct rpt_options *o)
{
    memset(o, 0, sizeof(*o));
    o->unclean_close_group = 10;
    /* HAProxy's SslBackendKeyRate alarms operators at tens of full key exchanges per second on a
     * single backend; 50/s on one server is far above what session reuse should leave. */
    o->storm_rate = 50.0;
    o->version = "unknown";
    /* One origin costs about 100 bytes: a million sessions, about 100 MB at worst, covers the
     * session cache lifetimes (minutes to hours) of busy servers. */
    o->max_origins = RPT_ORIGIN_MAX;
    /* A few hundred bytes each; a scan of a /16 fits, a /8 is counted instead of held. */
    o->max_servers = 100000;
}

static const char *const severity_names[] = {"info", "warning", "error", "never"};

bool rpt_severity_parse(const char *s, enum rpt_severity *out)
{
    for (unsigned i = 0; i < G_N_ELEMENTS(severity_names); i++) {
        if (strcmp(s, severity_names[i]) == 0) {
            *out = (enum rpt_severity)i;
            return true;
        }
    }
    return false;
}

const char *rpt_severity_name(enum rpt_severity s)
{
    return (unsigned)s < G_N_ELEMENTS(severity_names) ? severity_names[s] : "unknown";
}
