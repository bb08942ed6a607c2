/* Error domain and the names capture gives its enums in reports. */
#include "capture.h"

GQuark cap_error_quark(void)
{
    return g_quark_from_static_string("cap-error-quark");
}

const char *cap_skip_reason_name(enum cap_skip_reason r)
{
    static const char *const names[CAP_SKIP_COUNT] = {
        [CAP_SKIP_TRUNCATED] = "truncated",       [CAP_SKIP_LINKTYPE] = "unknown_linktype",
        [CAP_SKIP_NOT_IP] = "not_ip",             [CAP_SKIP_BAD_IP] = "bad_ip_header",
        [CAP_SKIP_IP_FRAGMENT] = "ip_fragment",   [CAP_SKIP_NOT_TCP] = "not_tcp",
        [CAP_SKIP_BAD_TCP] = "bad_tcp_header",    [CAP_SKIP_BAD_CHECKSUM] = "bad_checksum",
    };
    return (unsigned)r < CAP_SKIP_COUNT ? names[r] : "unknown";
}

const char *cap_gap_reason_name(enum cap_gap_reason r)
{
    switch (r) {
    case CAP_GAP_ACKED_UNSEEN:
        return "acked_unseen";
    case CAP_GAP_OOO_CAP:
        return "ooo_cap";
    case CAP_GAP_TIMEOUT:
        return "timeout";
    case CAP_GAP_FLOW_END:
        return "flow_end";
    case CAP_GAP_MEMORY_CAP:
        return "memory_cap";
    }
    return "unknown";
}

const char *cap_end_reason_name(enum cap_end_reason r)
{
    switch (r) {
    case CAP_END_FIN:
        return "fin";
    case CAP_END_RST:
        return "rst";
    case CAP_END_TIMEOUT:
        return "timeout";
    case CAP_END_CAPTURE_END:
        return "capture_end";
    case CAP_END_EVICTED:
        return "evicted";
    case CAP_END_PORT_REUSE:
        return "port_reuse";
    }
    return "unknown";
}
