/* The JSON document and the NDJSON lines: findings, servers, the capture section and the summary
 * as compact objects, and the document's outer layout around them. */
#include <errno.h>
#include <string.h>

#include "json_internal.h"

static void id_value(struct rpt_jw *b, char prefix, uint64_t id)
{
    char buf[RPT_ID_BUF];
    rpt_jw_add_string_value(b, rpt_id_format(prefix, id, buf));
}

char *rpt_json_finding(const struct rpt_finding *f)
{
    struct rpt_jw *b = rpt_jw_new();
    rpt_jw_begin_object(b);
    rpt_jw_set_member_name(b, "id");
    id_value(b, 'F', f->id);
    rpt_jb_str(b, "kind", rpt_kind_name(f->kind));
    rpt_jb_str(b, "severity", rpt_severity_name(f->severity));
    rpt_jb_conn_id(b, "connection", f->conn_id);
    if (f->has_server) {
        rpt_jb_endpoint(b, "server", &f->server_ip, f->server_port);
    } else {
        rpt_jb_null(b, "server");
    }
    rpt_jb_ts(b, "ts", f->ts_us);
    rpt_jb_str(b, "summary", f->summary);
    rpt_jw_set_member_name(b, "evidence");
    rpt_jw_begin_array(b);
    for (guint i = 0; i < f->evidence->len; i++) {
        const struct rpt_evidence *e = g_ptr_array_index(f->evidence, i);
        if (e->at.side == RPT_SIDE_NONE && !e->at.has_offset && !e->at.has_length && !e->at.ts_us &&
            !e->at.packet) {
            rpt_jb_add_string_value(b, e->text);
            continue;
        }
        rpt_jw_begin_object(b);
        rpt_jb_str(b, "text", e->text);
        if (e->at.side != RPT_SIDE_NONE) {
            rpt_jb_str(
                b, "direction",
                rpt_dir_name(e->at.side == RPT_SIDE_CLIENT ? CAP_DIR_CLIENT : CAP_DIR_SERVER));
        }
        if (e->at.has_offset) {
            rpt_jb_uint(b, "offset", e->at.offset);
        }
        if (e->at.has_length) {
            rpt_jb_uint(b, "length", e->at.length);
        }
        if (e->at.ts_us) {
            rpt_jb_ts(b, "ts", e->at.ts_us);
        }
        if (e->at.packet) {
            rpt_jb_uint(b, "packet", e->at.packet);
        }
        rpt_jw_end_object(b);
    }
    rpt_jw_end_array(b);
    rpt_jw_set_member_name(b, "probable_causes");
    rpt_jw_begin_array(b);
    for (uint32_t i = 0; i < f->num_causes; i++) {
        rpt_jw_begin_object(b);
        rpt_jb_str(b, "cause", rpt_cause_name(f->causes[i].id));
        rpt_jb_str(b, "confidence", rpt_confidence_name(f->causes[i].confidence));
        rpt_jb_str(b, "why", f->causes[i].why);
        rpt_jw_end_object(b);
    }
    rpt_jw_end_array(b);
    rpt_jw_set_member_name(b, "related_connections");
    rpt_jw_begin_array(b);
    for (guint i = 0; i < f->related->len; i++) {
        id_value(b, 'C', g_array_index(f->related, uint64_t, i));
    }
    rpt_jw_end_array(b);
    if (f->related_total > f->related->len) {
        rpt_jb_uint(b, "related_connections_total", f->related_total);
    }
    rpt_jw_end_object(b);
    return rpt_jb_compact(b);
}

char *rpt_json_server(const struct rpt_server *s)
{
    char ip[64];
    struct rpt_jw *b = rpt_jw_new();
    rpt_jw_begin_object(b);
    rpt_jb_str(b, "ip", rpt_addr_format(&s->ip, ip, sizeof(ip)));
    rpt_jb_uint(b, "port", s->port);
    rpt_jw_set_member_name(b, "sni");
    rpt_jw_begin_array(b);
    for (uint32_t i = 0; i < s->num_sni; i++) {
        rpt_jb_add_string_value(b, s->sni[i]);
    }
    rpt_jw_end_array(b);
    rpt_jb_bool(b, "sni_truncated", s->sni_truncated);
    rpt_jb_uint(b, "connections", s->connections);
    rpt_jb_uint(b, "tls_connections", s->tls_connections);
    rpt_jb_uint(b, "full_handshakes", s->full_handshakes);
    rpt_jb_uint(b, "resumed", s->resumed);
    rpt_jb_uint(b, "resumption_offered", s->resumption_offered);
    rpt_jb_uint(b, "resumption_refused", s->resumption_refused);
    rpt_jb_uint(b, "unclean_closes", s->unclean_closes);
    rpt_jb_uint(b, "fatal_alerts", s->fatal_alerts);
    rpt_jb_uint(b, "handshake_only", s->handshake_only);
    rpt_jb_uint(b, "full_handshakes_per_second_peak", s->hs_peak);
    if (s->full_handshakes) {
        rpt_jb_ts(b, "full_handshakes_peak_second", s->hs_peak_second * 1000000);
    } else {
        rpt_jb_null(b, "full_handshakes_peak_second");
    }
    rpt_jb_double(b, "full_handshakes_per_second_mean", rpt_server_rate_mean(s));
    rpt_jw_end_object(b);
    return rpt_jb_compact(b);
}

static void capture_object(struct rpt_jw *b, const struct rpt_capture_info *info)
{
    const struct cap_source_stats *src = info ? info->source : NULL;
    const struct cap_table_stats *tab = info ? info->table : NULL;
    rpt_jw_begin_object(b);
    rpt_jw_set_member_name(b, "sources");
    rpt_jw_begin_array(b);
    for (size_t i = 0; info && info->sources && i < info->num_sources; i++) {
        rpt_jb_add_string_value(b, info->sources[i]);
    }
    rpt_jw_end_array(b);
    rpt_jb_bool(b, "live", src && src->live);
    rpt_jb_uint(b, "packets", src ? src->packets : 0);
    rpt_jb_uint(b, "bytes", src ? src->bytes : 0);
    rpt_jb_ts_or_null(b, "first_ts", info ? info->first_ts_us : 0);
    rpt_jb_ts_or_null(b, "last_ts", info ? info->last_ts_us : 0);
    rpt_jw_set_member_name(b, "link_types");
    rpt_jw_begin_array(b);
    for (size_t i = 0; src && i < MIN(src->num_linktypes, (size_t)CAP_MAX_LINKTYPES); i++) {
        const char *n = cap_linktype_name(src->linktypes[i]);
        char buf[24];
        if (!n) {
            g_snprintf(buf, sizeof(buf), "DLT_%d", src->linktypes[i]);
            n = buf;
        }
        rpt_jb_add_string_value(b, n);
    }
    rpt_jw_end_array(b);
    rpt_jw_set_member_name(b, "skipped");
    rpt_jw_begin_object(b);
    for (int r = 0; r < CAP_SKIP_COUNT; r++) {
        rpt_jb_uint(b, cap_skip_reason_name((enum cap_skip_reason)r), info ? info->skipped[r] : 0);
    }
    rpt_jw_end_object(b);
    if (src && src->kernel_stats_valid) {
        rpt_jb_uint(b, "kernel_drops", src->kernel_drops);
        rpt_jb_uint(b, "interface_drops", src->interface_drops);
    } else {
        rpt_jb_null(b, "kernel_drops");
        rpt_jb_null(b, "interface_drops");
    }
    rpt_jb_str(b, "truncated_file", src ? src->truncated_file : NULL);
    rpt_jb_uint(b, "bad_timestamps", src ? src->bad_timestamps : 0);
    rpt_jb_bool(b, "interrupted", info && info->interrupted);
    rpt_jw_set_member_name(b, "flows");
    rpt_jw_begin_object(b);
    rpt_jb_uint(b, "total", tab ? tab->flows_total : 0);
    rpt_jb_uint(b, "peak", tab ? tab->flows_peak : 0);
    rpt_jb_uint(b, "evicted", tab ? tab->flows_evicted : 0);
    rpt_jb_uint(b, "ooo_cap_hits", tab ? tab->ooo_cap_hits : 0);
    rpt_jb_uint(b, "memory_cap_hits", tab ? tab->memory_cap_hits : 0);
    rpt_jb_uint(b, "memory_peak", tab ? tab->memory_peak : 0);
    rpt_jw_end_object(b);
    const struct cls_stats *cls = info ? info->classification : NULL;
    if (cls != NULL) {
        rpt_jw_set_member_name(b, "classification");
        rpt_jw_begin_object(b);
        rpt_jb_uint(b, "flows", cls->flows);
        rpt_jb_uint(b, "verdicts_reused", cls->memo_hits);
        rpt_jb_uint(b, "verdicts_remembered", cls->memo_saved);
        rpt_jw_end_object(b);
    } else {
        rpt_jb_null(b, "classification");
    }
    rpt_jw_end_object(b);
}

char *rpt_json_capture(const struct rpt_capture_info *info)
{
    struct rpt_jw *b = rpt_jw_new();
    capture_object(b, info);
    return rpt_jb_compact(b);
}

char *rpt_json_tool(const struct rpt_options *o)
{
    struct rpt_jw *b = rpt_jw_new();
    rpt_jw_begin_object(b);
    rpt_jb_str(b, "version", o->version ? o->version : "unknown");
    rpt_jw_end_object(b);
    return rpt_jb_compact(b);
}

static void summary_members(struct rpt_jw *b, const struct rpt_ctx *r)
{
    rpt_jb_uint(b, "connections", r->num_connections);
    rpt_jb_uint(b, "tls", r->num_tls);
    rpt_jb_uint(b, "failed", r->num_failed);
    rpt_jb_uint(b, "uncertain", r->num_uncertain);
    rpt_jw_set_member_name(b, "findings");
    rpt_jw_begin_object(b);
    rpt_jb_uint(b, "total", r->by_severity[0] + r->by_severity[1] + r->by_severity[2]);
    rpt_jw_set_member_name(b, "by_severity");
    rpt_jw_begin_object(b);
    rpt_jb_uint(b, "error", r->by_severity[RPT_SEV_ERROR]);
    rpt_jb_uint(b, "warning", r->by_severity[RPT_SEV_WARNING]);
    rpt_jb_uint(b, "info", r->by_severity[RPT_SEV_INFO]);
    rpt_jw_end_object(b);
    rpt_jw_set_member_name(b, "by_kind");
    rpt_jw_begin_object(b);
    for (int k = 0; k < RPT_K_COUNT; k++) {
        if (r->by_kind[k]) {
            rpt_jb_uint(b, rpt_kind_name((enum rpt_kind)k), r->by_kind[k]);
        }
    }
    rpt_jw_end_object(b);
    rpt_jw_end_object(b);
    if (r->max_severity >= 0) {
        rpt_jb_str(b, "max_severity", rpt_severity_name((enum rpt_severity)r->max_severity));
    } else {
        rpt_jb_null(b, "max_severity");
    }
    rpt_jb_uint(b, "servers_tracked", (uint64_t)rpt_servers_count(r->servers));
    rpt_jb_uint(b, "connections_to_untracked_servers", rpt_servers_untracked(r->servers));
    rpt_jw_set_member_name(b, "session_origins");
    rpt_jw_begin_object(b);
    rpt_jb_uint(b, "tracked", rpt_origins_size(r->origins));
    rpt_jb_uint(b, "evicted", rpt_origins_evicted(r->origins));
    rpt_jw_end_object(b);
}

char *rpt_json_summary(const struct rpt_ctx *r)
{
    struct rpt_jw *b = rpt_jw_new();
    rpt_jw_begin_object(b);
    summary_members(b, r);
    rpt_jw_end_object(b);
    return rpt_jb_compact(b);
}

bool rpt_json_typed_line(FILE *out, const char *type, const char *obj, size_t len)
{
    /* obj is a compact object from this file: "{" then its members, or "{}". */
    bool empty = len == 2 && memcmp(obj, "{}", 2) == 0;
    fputs("{\"type\":\"", out);
    fputs(type, out);
    if (empty) {
        fputs("\"}", out);
    } else {
        fputs("\",", out);
        fwrite(obj + 1, 1, len - 1, out);
    }
    return putc('\n', out) != EOF && !ferror(out);
}

/* The document is one element per line inside a fixed outer layout (deterministic and
 * diffable). Connections are written as they end, so the layout puts them right after the
 * tool section and everything known only at the end (servers, findings, capture, summary)
 * after them. */
void rpt_json_document_head(FILE *out, const struct rpt_options *o)
{
    char *tool = rpt_json_tool(o);
    fprintf(out, "{\n  \"tlsscope\": %s,\n  \"connections\": [", tool);
    g_free(tool);
}

void rpt_json_document_connection(FILE *out, const char *obj, size_t len, bool first)
{
    fputs(first ? "\n    " : ",\n    ", out);
    fwrite(obj, 1, len, out);
}

static bool copy_findings(struct rpt_ctx *r, FILE *out, GError **error)
{
    if (fflush(r->finding_spool) != 0 || fseeko(r->finding_spool, 0, SEEK_SET) != 0) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "rewinding the finding spool: %s",
                    g_strerror(errno));
        return false;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t written = 0;
    uint64_t total = r->next_finding_id - 1;
    while ((n = getline(&line, &cap, r->finding_spool)) > 0) {
        if (line[n - 1] == '\n') {
            line[--n] = '\0';
        }
        written++;
        fputs("    ", out);
        fwrite(line, 1, (size_t)n, out);
        fputs(written < total ? ",\n" : "\n", out);
    }
    free(line);
    if (written != total) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO,
                    "finding spool holds %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " findings",
                    written, total);
        return false;
    }
    return true;
}

bool rpt_json_document_tail(struct rpt_ctx *r, FILE *out, const struct rpt_capture_info *info,
                            GPtrArray *servers_sorted, GError **error)
{
    fputs(r->doc_connections ? "\n  ],\n" : "],\n", out);

    fputs(servers_sorted->len ? "  \"servers\": [\n" : "  \"servers\": [", out);
    for (guint i = 0; i < servers_sorted->len; i++) {
        char *s = rpt_json_server(g_ptr_array_index(servers_sorted, i));
        fprintf(out, "    %s%s\n", s, i + 1 < servers_sorted->len ? "," : "");
        g_free(s);
    }
    fputs(servers_sorted->len ? "  ],\n" : "],\n", out);

    bool any = r->next_finding_id > 1;
    fputs(any ? "  \"findings\": [\n" : "  \"findings\": [", out);
    if (!copy_findings(r, out, error)) {
        return false;
    }
    fputs(any ? "  ],\n" : "],\n", out);

    char *cap = rpt_json_capture(info);
    char *sum = rpt_json_summary(r);
    fprintf(out, "  \"capture\": %s,\n  \"summary\": %s\n}\n", cap, sum);
    g_free(cap);
    g_free(sum);
    if (fflush(out) != 0 || ferror(out)) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "writing the report: %s",
                    g_strerror(errno));
        return false;
    }
    return true;
}

/* The NDJSON summary also carries the tool and capture sections, so a log pipeline needs no
 * other record to know what was analysed. */
char *rpt_json_summary_line(const struct rpt_ctx *r, const struct rpt_capture_info *info)
{
    struct rpt_jw *b = rpt_jw_new();
    rpt_jw_begin_object(b);
    rpt_jw_set_member_name(b, "tlsscope");
    rpt_jw_begin_object(b);
    rpt_jb_str(b, "version", r->opts.version ? r->opts.version : "unknown");
    rpt_jw_end_object(b);
    summary_members(b, r);
    rpt_jw_set_member_name(b, "capture");
    capture_object(b, info);
    rpt_jw_end_object(b);
    return rpt_jb_compact(b);
}
