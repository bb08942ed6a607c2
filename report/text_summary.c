/* The short text summary: counts, then the most severe findings one line each (connection,
 * kind, top cause), with where to read more in the JSON. Colour only when asked for. */
#include "report_internal.h"

/* Lines of findings printed at most; the JSON has the rest. */
#define TEXT_MAX_LINES 20

static const char *sev_colour(enum rpt_severity s)
{
    switch (s) {
    case RPT_SEV_ERROR:
        return "\033[1;31m";
    case RPT_SEV_WARNING:
        return "\033[33m";
    default:
        return "\033[36m";
    }
}

void rpt_text_summary(const struct rpt_ctx *r, FILE *out)
{
    bool colour = r->opts.color;
    uint64_t total = r->by_severity[0] + r->by_severity[1] + r->by_severity[2];
    fprintf(out,
            "tlsscope: %" G_GUINT64_FORMAT " connection%s (%" G_GUINT64_FORMAT
            " TLS, %" G_GUINT64_FORMAT " failed, %" G_GUINT64_FORMAT
            " uncertain); %" G_GUINT64_FORMAT " finding%s: %" G_GUINT64_FORMAT
            " error, %" G_GUINT64_FORMAT " warning, %" G_GUINT64_FORMAT " info\n",
            r->num_connections, r->num_connections == 1 ? "" : "s", r->num_tls, r->num_failed,
            r->num_uncertain, total, total == 1 ? "" : "s", r->by_severity[RPT_SEV_ERROR],
            r->by_severity[RPT_SEV_WARNING], r->by_severity[RPT_SEV_INFO]);
    if (r->num_uncertain > 0) {
        /* Not failed, not clean: an encrypted alert whose reading the wire does not decide. */
        fprintf(out, "uncertain:");
        for (guint i = 0; i < r->uncertain_conns->len; i++) {
            fprintf(out, "%s C%" G_GUINT64_FORMAT, i ? "," : "",
                    g_array_index(r->uncertain_conns, uint64_t, i));
        }
        if (r->num_uncertain > r->uncertain_conns->len) {
            fprintf(out, ", ... (%" G_GUINT64_FORMAT " in all)", r->num_uncertain);
        }
        fprintf(out, " ended with an encrypted alert the capture cannot read as close_notify or "
                     "fatal (tls.alerts[].because in the JSON; a key log would decide)\n");
    }
    unsigned lines = 0;
    for (int s = RPT_SEV_ERROR; s >= RPT_SEV_INFO; s--) {
        const GPtrArray *list = r->text_items[s];
        for (guint i = 0; i < list->len && lines < TEXT_MAX_LINES; i++, lines++) {
            const struct rpt_text_item *t = g_ptr_array_index(list, i);
            char where[48], conn[24];
            if (t->conn_id) {
                g_snprintf(conn, sizeof(conn), "C%" G_GUINT64_FORMAT, t->conn_id);
                g_snprintf(where, sizeof(where), "connections[%" G_GINT64_FORMAT "]",
                           t->conn_position);
            } else {
                g_strlcpy(conn, t->server[0] ? t->server : "-", sizeof(conn));
                g_strlcpy(where, "servers", sizeof(where));
            }
            fprintf(out, "%s%-7s%s F%-4" G_GUINT64_FORMAT " %-6s %s: %s",
                    colour ? sev_colour(t->severity) : "", rpt_severity_name(t->severity),
                    colour ? "\033[0m" : "", t->finding_id, conn, rpt_kind_name(t->kind),
                    t->summary);
            if (t->top_cause) {
                fprintf(out, " [top cause: %s, %s]", t->top_cause,
                        rpt_confidence_name(t->top_confidence));
            }
            fprintf(out, " (see %s / findings[%" G_GUINT64_FORMAT "] in the JSON)\n", where,
                    t->finding_id - 1);
        }
    }
    if (total > lines) {
        fprintf(out, "... %" G_GUINT64_FORMAT " more findings in the JSON report\n", total - lines);
    }
}
