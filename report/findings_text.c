/* The phrases findings print for versions, alerts, cipher suites and durations. */
#include "findings_internal.h"

const char *rpt_version_str(uint16_t v, char *buf, size_t len)
{
    const char *n = tls_version_name(v);
    if (n) {
        return n;
    }
    snprintf(buf, len, "0x%04x", v);
    return buf;
}

const char *rpt_alert_str(uint8_t desc, char *buf, size_t len)
{
    const char *n = tls_alert_name(desc);
    if (n) {
        return n;
    }
    snprintf(buf, len, "alert %u", desc);
    return buf;
}

const char *rpt_cipher_str(uint16_t id, char *buf, size_t len)
{
    const char *n = tls_cipher_name(id);
    if (n) {
        return n;
    }
    snprintf(buf, len, "0x%04x", id);
    return buf;
}

char *rpt_client_versions_str(const struct tls_summary *t)
{
    GString *s = g_string_new(NULL);
    uint32_t n = MIN(t->num_client_versions, (uint32_t)TLS_MAX_VERSIONS);
    for (uint32_t i = 0; i < n; i++) {
        char b[16];
        g_string_append_printf(s, "%s%s", i ? ", " : "",
                               rpt_version_str(t->client_versions[i], b, sizeof(b)));
    }
    if (n == 0) {
        g_string_append(s, "nothing recorded");
    }
    return g_string_free(s, FALSE);
}

bool rpt_client_offered(const struct tls_summary *t, uint16_t v)
{
    uint32_t n = MIN(t->num_client_versions, (uint32_t)TLS_MAX_VERSIONS);
    for (uint32_t i = 0; i < n; i++) {
        if (t->client_versions[i] == v) {
            return true;
        }
    }
    return false;
}

const char *rpt_duration_str(int64_t us, char *buf, size_t len)
{
    if (us > -1000000 && us < 1000000) {
        g_snprintf(buf, len, "%.3f ms", (double)us / 1e3);
    } else {
        g_snprintf(buf, len, "%.3f s", (double)us / 1e6);
    }
    return buf;
}
