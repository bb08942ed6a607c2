/* The reporter's lifecycle: outputs opened at the start, each connection's findings made and
 * the connection serialised and written to the document and the NDJSON stream as it arrives (so
 * memory does not grow with connections; findings wait in a spool file because the document
 * lists them after the connections), and at the end the server-level findings, the rest of the
 * JSON document (written beside its target and renamed), the NDJSON tail and the text summary.
 *
 * Unclean closes and routine resets are grouped per server this way: the first
 * opts->unclean_close_group of a server are reported one by one as they arrive; when a server
 * ends with more than that, one more finding at finish counts them all and lists their
 * connections. Both steps depend only on the order connections are added, so the output stays
 * deterministic while NDJSON streams. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_internal.h"

/* stdio buffer of the JSON and NDJSON outputs. */
#define RPT_OUT_BUFFER (256 * 1024)

static FILE *open_output(const char *path, GError **error)
{
    if (strcmp(path, "-") == 0) {
        return stdout;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "cannot open %s: %s", path,
                    g_strerror(errno));
    }
    return f;
}

struct rpt_ctx *rpt_new(const struct rpt_options *o, GError **error)
{
    struct rpt_ctx *r = g_new0(struct rpt_ctx, 1);
    r->opts = *o;
    r->next_finding_id = 1;
    r->max_severity = -1;
    r->line = g_string_sized_new(8192);
    r->conn_findings = g_ptr_array_new_with_free_func((GDestroyNotify)rpt_finding_free);
    r->uncertain_conns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    r->origins = rpt_origins_new(o->max_origins ? o->max_origins : RPT_ORIGIN_MAX);
    r->servers = rpt_servers_new(o->max_servers);
    for (int s = 0; s < 3; s++) {
        r->text_items[s] = g_ptr_array_new();
    }
    r->finding_spool = tmpfile();
    if (!r->finding_spool) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot create a temporary spool file: %s", g_strerror(errno));
        rpt_free(r);
        return NULL;
    }
    if (o->json_path) {
        r->json_path = g_strdup(o->json_path);
        struct stat st;
        if (strcmp(o->json_path, "-") == 0) {
            r->json_out = stdout;
        } else if (stat(o->json_path, &st) == 0 && !S_ISREG(st.st_mode)) {
            /* A device or FIFO (-o /dev/null, a pipe to a shipper) is written in place: a rename
             * would replace the device node itself. */
            r->json_out = open_output(o->json_path, error);
            if (!r->json_out) {
                rpt_free(r);
                return NULL;
            }
        } else {
            /* A temporary name in the target's directory, so the final rename is atomic and a
             * killed run never leaves a half-written report under the real name. */
            r->json_tmp_path = g_strdup_printf("%s.tmp-XXXXXX", o->json_path);
            int fd = g_mkstemp(r->json_tmp_path);
            if (fd < 0) {
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                            "cannot create %s: %s", r->json_tmp_path, g_strerror(errno));
                g_free(r->json_tmp_path);
                r->json_tmp_path = NULL;
                rpt_free(r);
                return NULL;
            }
            /* mkstemp creates 0600; the report gets the mode fopen would have given it. The
             * umask is read by setting it back at once (tlsscope is single-threaded). */
            mode_t mask = umask(0);
            umask(mask);
            if (fchmod(fd, 0666 & ~mask) != 0) {
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                            "cannot set the mode of %s: %s", r->json_tmp_path, g_strerror(errno));
                close(fd);
                rpt_free(r);
                return NULL;
            }
            r->json_out = fdopen(fd, "w");
            if (!r->json_out) {
                close(fd);
                g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                            "cannot open %s: %s", r->json_tmp_path, g_strerror(errno));
                rpt_free(r);
                return NULL;
            }
        }
    }
    if (r->json_out) {
        /* Large writes: a report can be gigabytes, and stdio's default 4 KB buffer made one
         * write(2) per 4 KB. Set before the first write, as setvbuf requires; glibc ignores
         * the size unless given the buffer, which must outlive the stream (stdout, which
         * outlives everything, keeps its own). */
        if (r->json_out != stdout) {
            r->json_buf = g_malloc(RPT_OUT_BUFFER);
            setvbuf(r->json_out, r->json_buf, _IOFBF, RPT_OUT_BUFFER);
            /* Only this thread writes the report: no lock taken and released per record. */
            __fsetlocking(r->json_out, FSETLOCKING_BYCALLER);
        }
        rpt_json_document_head(r->json_out, &r->opts);
    }
    if (o->ndjson_path) {
        r->ndjson_path = g_strdup(o->ndjson_path);
        r->ndjson_out = open_output(o->ndjson_path, error);
        if (!r->ndjson_out) {
            rpt_free(r);
            return NULL;
        }
        if (r->ndjson_out != stdout) {
            r->ndjson_buf = g_malloc(RPT_OUT_BUFFER);
            setvbuf(r->ndjson_out, r->ndjson_buf, _IOFBF, RPT_OUT_BUFFER);
            __fsetlocking(r->ndjson_out, FSETLOCKING_BYCALLER);
        }
    }
    r->ndjson_flush = o->ndjson_flush;
    return r;
}

static void ndjson_line(struct rpt_ctx *r, const char *type, const char *obj, size_t len)
{
    if (!r->ndjson_out || r->ndjson_failed) {
        return;
    }
    if (!rpt_json_typed_line(r->ndjson_out, type, obj, len) ||
        (r->ndjson_flush && fflush(r->ndjson_out) != 0)) {
        r->ndjson_failed = true;
    }
}

static void keep_text_item(struct rpt_ctx *r, const struct rpt_finding *f)
{
    GPtrArray *list = r->text_items[f->severity];
    if (list->len >= RPT_TEXT_KEEP) {
        return;
    }
    struct rpt_text_item *t = g_new0(struct rpt_text_item, 1);
    t->finding_id = f->id;
    t->conn_id = f->conn_id;
    /* A connection's findings are emitted right after it is written, before it is counted. */
    t->conn_position = f->conn_id ? (int64_t)r->num_connections : -1;
    t->kind = f->kind;
    t->severity = f->severity;
    t->summary = g_strdup(f->summary);
    if (f->num_causes > 0) {
        t->top_cause = rpt_cause_name(f->causes[0].id);
        t->top_confidence = f->causes[0].confidence;
    }
    if (f->has_server) {
        rpt_endpoint_format(&f->server_ip, f->server_port, t->server, sizeof(t->server));
    }
    g_ptr_array_add(list, t);
}

/* Numbers, ranks, serialises and records one finding; the caller still owns it. */
static void emit_finding(struct rpt_ctx *r, struct rpt_finding *f)
{
    f->id = r->next_finding_id++;
    rpt_finding_rank_causes(f);
    if (r->json_out || r->ndjson_out) {
        char *json = rpt_json_finding(f);
        if (r->json_out && fprintf(r->finding_spool, "%s\n", json) < 0) {
            r->spool_failed = true;
        }
        ndjson_line(r, "finding", json, strlen(json));
        g_free(json);
    }
    if ((unsigned)f->severity <= RPT_SEV_ERROR) {
        r->by_severity[f->severity]++;
        if ((int)f->severity > r->max_severity) {
            r->max_severity = (int)f->severity;
        }
        keep_text_item(r, f);
    }
    r->by_kind[f->kind]++;
}

/* Decides, before any rule runs, what depends on the connection's server so far, and counts
 * the connection into it:
 * - A routine reset (an info tcp_reset: after close_notify, or already explained by an unclean
 *   close or a fatal alert) is how many clients and load balancers end every connection; one
 *   finding per connection made most of a report of short connections. The first
 *   opts->unclean_close_group connections of a server with one are reported one by one; past
 *   that they are only counted, and rpt_finish makes one finding for them all.
 * - Unclean closes are grouped the same way.
 * An untracked server (past rpt_options.max_servers) has everything reported one by one. */
static void plan_connection(struct rpt_ctx *r, const struct rpt_connection *c,
                            struct rpt_conn_plan *plan)
{
    const struct cap_flow_summary *fl = c->flow;
    const struct tls_summary *t = c->tls;
    *plan = (struct rpt_conn_plan){0};
    bool wants_unclean = rpt_conn_wants_unclean(c, &plan->unclean_sides);
    if (!wants_unclean) {
        plan->unclean_sides = 0;
    }
    struct rpt_server *srv = rpt_servers_get(r->servers, &fl->server_ip, fl->server_port);
    if (t && t->is_tls) {
        bool fatal = rpt_first_fatal_alert(fl, t) != NULL;
        bool any = false, after_shutdown = false;
        int64_t first = 0;
        for (int d = 0; d < 2; d++) {
            const struct cap_dir_stats *ds = &fl->dir[d];
            if (!ds->rst_seen) {
                continue;
            }
            bool after_notify = t->dir[d].close_notify == TLS_CN_YES;
            bool covered = (plan->unclean_sides & (1u << d)) != 0;
            plan->routine_reset[d] = after_notify || covered || fatal;
            if (plan->routine_reset[d]) {
                first = any ? MIN(first, ds->rst_ts_us) : ds->rst_ts_us;
                any = true;
                after_shutdown |= after_notify;
            }
        }
        if (any && srv) {
            if (srv->routine_resets == 0 || first < srv->first_reset_us) {
                srv->first_reset_us = first;
            }
            srv->routine_resets++;
            srv->resets_after_shutdown += after_shutdown;
            if (srv->reset_conns->len < RPT_MAX_RELATED) {
                g_array_append_val(srv->reset_conns, fl->id);
            }
            if (srv->resets_reported < r->opts.unclean_close_group) {
                srv->resets_reported++;
            } else {
                plan->resets_grouped = true;
            }
        }
    }
    if (wants_unclean && (!srv || srv->unclean_reported < r->opts.unclean_close_group)) {
        if (srv) {
            srv->unclean_reported++;
        }
        plan->unclean_one_by_one = true;
    }
}

void rpt_add_connection(struct rpt_ctx *r, const struct rpt_connection *c)
{
    g_return_if_fail(!r->finished);
    const struct cap_flow_summary *fl = c->flow;
    const struct tls_summary *t = c->tls;
    /* One array for every connection's findings (most connections have none). */
    GPtrArray *findings = r->conn_findings;
    rpt_correlate_prefetch(r->origins, c);
    struct rpt_conn_plan plan;
    plan_connection(r, c, &plan);
    rpt_findings_connection(r, c, &plan, findings);
    unsigned unclean = plan.unclean_sides;

    /* Ids are fixed before the connection is serialised so it can name its findings; the
     * connection line goes out first so an NDJSON reader meets C<n> before the findings about it.
     */
    uint64_t ids_here[8];
    uint64_t *ids =
        findings->len <= G_N_ELEMENTS(ids_here) ? ids_here : g_new(uint64_t, findings->len);
    for (guint i = 0; i < findings->len; i++) {
        ids[i] = r->next_finding_id + i;
    }
    /* Without a JSON document or NDJSON stream (a text summary only) nothing is serialised. */
    if (r->json_out || r->ndjson_out) {
        g_string_truncate(r->line, 0);
        rpt_json_connection_append(r->line, c, ids, findings->len,
                                   r->opts.all_records || findings->len > 0, r->opts.keep_defaults,
                                   t && t->is_tls && rpt_sid_offer_is_filler(r->origins, t));
        if (r->json_out) {
            rpt_json_document_connection(r->json_out, r->line->str, r->line->len,
                                         r->doc_connections == 0);
            r->doc_connections++;
        }
        ndjson_line(r, "connection", r->line->str, r->line->len);
    }
    if (ids != ids_here) {
        g_free(ids);
    }
    for (guint i = 0; i < findings->len; i++) {
        emit_finding(r, g_ptr_array_index(findings, i));
    }
    g_ptr_array_set_size(findings, 0); /* frees them */

    r->num_connections++;
    if (t && t->is_tls) {
        r->num_tls++;
        if (rpt_conn_failed(c)) {
            r->num_failed++;
        } else if (rpt_conn_uncertain(c)) {
            if (r->uncertain_conns->len < RPT_TEXT_UNCERTAIN) {
                g_array_append_val(r->uncertain_conns, fl->id);
            }
            r->num_uncertain++;
        }
    }
    rpt_correlate_add(r->servers, r->origins, c, unclean);
}

/* Puts the finished report (at tmp) in place of path. A rename over an existing file makes
 * ext4 (auto_da_alloc) allocate and start writing all of the new file's blocks there and then,
 * in this process: 0.2 to 0.8 s for the few hundred MB a busy capture's report takes, a tenth
 * or more of the whole run, every time a report is written over the previous one. Swapping the
 * two names instead (RENAME_EXCHANGE: a reader finds the old report or the new one, never
 * neither) and unlinking the old one leaves the writing to the kernel's flusher, as for a new
 * file. Anything but a regular file at path, or a file system without the exchange, gets the
 * plain rename. On NOT_MOVED and OLD_LEFT (the new report in place, the old one still at tmp),
 * errno says why. */
enum replace_result { REPLACED, NOT_MOVED, OLD_LEFT };

static enum replace_result replace_file(const char *tmp, const char *path)
{
#ifdef RENAME_EXCHANGE
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_EXCHANGE) == 0) {
            /* The previous report, now under the temporary name. */
            return unlink(tmp) == 0 ? REPLACED : OLD_LEFT;
        }
        if (errno != EINVAL && errno != ENOSYS && errno != ENOENT) {
            return NOT_MOVED;
        }
    }
#endif
    return rename(tmp, path) == 0 ? REPLACED : NOT_MOVED;
}

static bool finish_json(struct rpt_ctx *r, const struct rpt_capture_info *info, GPtrArray *servers,
                        GError **error)
{
    if (!r->json_out) {
        return true;
    }
    bool ok = rpt_json_document_tail(r, r->json_out, info, servers, error);
    if (r->json_out == stdout) {
        r->json_out = NULL;
        return ok;
    }
    if (fclose(r->json_out) != 0 && ok) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "writing %s: %s",
                    r->json_tmp_path, g_strerror(errno));
        ok = false;
    }
    r->json_out = NULL;
    if (!r->json_tmp_path) {
        return ok; /* written in place (a device or FIFO) */
    }
    enum replace_result moved = ok ? replace_file(r->json_tmp_path, r->json_path) : NOT_MOVED;
    if (ok && moved == OLD_LEFT) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "the report is in %s, but the previous one could not be removed from %s: %s",
                    r->json_path, r->json_tmp_path, g_strerror(errno));
        g_free(r->json_tmp_path);
        r->json_tmp_path = NULL;
        return false;
    }
    if (ok && moved == NOT_MOVED) {
        /* The report is complete under its temporary name (typically after -Z dropped the
         * right to write the directory): keep it and say where, rather than lose it. */
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "cannot rename %s to %s: %s; the complete report is in %s", r->json_tmp_path,
                    r->json_path, g_strerror(errno), r->json_tmp_path);
        g_free(r->json_tmp_path);
        r->json_tmp_path = NULL;
        return false;
    }
    if (ok) {
        g_free(r->json_tmp_path);
        r->json_tmp_path = NULL;
    }
    return ok;
}

bool rpt_finish(struct rpt_ctx *r, const struct rpt_capture_info *info, GError **error)
{
    g_return_val_if_fail(!r->finished, FALSE);
    r->finished = true;
    GPtrArray *servers = rpt_servers_sorted(r->servers);
    GPtrArray *findings = g_ptr_array_new_with_free_func((GDestroyNotify)rpt_finding_free);
    for (guint i = 0; i < servers->len; i++) {
        rpt_findings_server(&r->opts, g_ptr_array_index(servers, i), findings);
    }
    for (guint i = 0; i < findings->len; i++) {
        emit_finding(r, g_ptr_array_index(findings, i));
    }
    g_ptr_array_unref(findings);
    for (guint i = 0; i < servers->len; i++) {
        char *s = rpt_json_server(g_ptr_array_index(servers, i));
        ndjson_line(r, "server", s, strlen(s));
        g_free(s);
    }
    char *sum = rpt_json_summary_line(r, info);
    ndjson_line(r, "summary", sum, strlen(sum));
    g_free(sum);
    if (r->ndjson_out && !r->ndjson_failed && fflush(r->ndjson_out) != 0) {
        r->ndjson_failed = true;
    }

    bool ok = true;
    if (r->spool_failed) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "writing a temporary spool file failed");
        ok = false;
    }
    if (ok) {
        ok = finish_json(r, info, servers, error);
    }
    if (ok && r->ndjson_failed) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_IO, "writing %s failed", r->ndjson_path);
        ok = false;
    }
    g_ptr_array_unref(servers);
    if (r->opts.text_out) {
        rpt_text_summary(r, r->opts.text_out);
    }
    return ok;
}

int rpt_max_severity(const struct rpt_ctx *r)
{
    return r->max_severity;
}

static void text_item_free(gpointer p)
{
    struct rpt_text_item *t = p;
    g_free(t->summary);
    g_free(t);
}

void rpt_free(struct rpt_ctx *r)
{
    if (!r) {
        return;
    }
    if (r->json_out && r->json_out != stdout) {
        fclose(r->json_out);
    }
    if (r->json_tmp_path) {
        unlink(r->json_tmp_path); /* never finished: leave nothing behind */
    }
    if (r->ndjson_out && r->ndjson_out != stdout) {
        fclose(r->ndjson_out);
    } else if (r->ndjson_out) {
        fflush(r->ndjson_out);
    }
    if (r->finding_spool) {
        fclose(r->finding_spool);
    }
    g_string_free(r->line, TRUE);
    g_ptr_array_unref(r->conn_findings);
    g_array_free(r->uncertain_conns, TRUE);
    rpt_origins_free(r->origins);
    rpt_servers_free(r->servers);
    for (int s = 0; s < 3; s++) {
        if (r->text_items[s]) {
            g_ptr_array_set_free_func(r->text_items[s], text_item_free);
            g_ptr_array_unref(r->text_items[s]);
        }
    }
    g_free(r->json_buf); /* the streams using them are closed above */
    g_free(r->ndjson_buf);
    g_free(r->json_path);
    g_free(r->json_tmp_path);
    g_free(r->ndjson_path);
    g_free(r);
}
