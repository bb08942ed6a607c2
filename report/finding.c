/* The finding record: its lifecycle, evidence, causes and their ranking, and the names of kinds
 * and confidences. Producers fill it; the JSON and text writers read it. */
#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include "report_internal.h"

const char *rpt_kind_name(enum rpt_kind k)
{
    static const char *const names[RPT_K_COUNT] = {
#define RPT_KIND(id, name, doc) [RPT_K_##id] = (name),
#include "kinds.def"
#undef RPT_KIND
    };
    return (unsigned)k < RPT_K_COUNT ? names[k] : "unknown";
}

const char *rpt_cause_name(enum rpt_cause_id c)
{
    static const char *const names[RPT_C_COUNT] = {
#define RPT_CAUSE(id, name, priority, doc) [RPT_C_##id] = (name),
#include "causes.def"
#undef RPT_CAUSE
    };
    return (unsigned)c < RPT_C_COUNT ? names[c] : "unknown";
}

unsigned rpt_cause_priority(enum rpt_cause_id c)
{
    static const unsigned char priorities[RPT_C_COUNT] = {
#define RPT_CAUSE(id, name, priority, doc) [RPT_C_##id] = (priority),
#include "causes.def"
#undef RPT_CAUSE
    };
    return (unsigned)c < RPT_C_COUNT ? priorities[c] : UINT_MAX;
}

const char *rpt_confidence_name(enum rpt_confidence c)
{
    switch (c) {
    case RPT_CONF_HIGH:
        return "high";
    case RPT_CONF_MEDIUM:
        return "medium";
    case RPT_CONF_LOW:
        return "low";
    }
    return "low";
}

static void evidence_free(gpointer p)
{
    struct rpt_evidence *e = p;
    g_free(e->text);
    g_free(e);
}

struct rpt_finding *rpt_finding_new(enum rpt_kind kind, enum rpt_severity sev, uint64_t conn_id,
                                    int64_t ts_us, char *summary)
{
    struct rpt_finding *f = g_new0(struct rpt_finding, 1);
    f->kind = kind;
    f->severity = sev;
    f->conn_id = conn_id;
    f->ts_us = ts_us;
    f->summary = summary;
    f->evidence = g_ptr_array_new_with_free_func(evidence_free);
    f->related = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    return f;
}

void rpt_finding_free(struct rpt_finding *f)
{
    if (!f) {
        return;
    }
    g_free(f->summary);
    g_ptr_array_unref(f->evidence);
    for (uint32_t i = 0; i < f->num_causes; i++) {
        g_free(f->causes[i].why);
    }
    g_array_free(f->related, TRUE);
    g_free(f);
}

void rpt_finding_set_server(struct rpt_finding *f, const struct cap_addr *ip, uint16_t port)
{
    f->has_server = true;
    f->server_ip = *ip;
    f->server_port = port;
}

void rpt_finding_evidence(struct rpt_finding *f, struct rpt_pin at, const char *fmt, ...)
{
    struct rpt_evidence *e = g_new0(struct rpt_evidence, 1);
    va_list ap;
    va_start(ap, fmt);
    e->text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    e->at = at;
    g_ptr_array_add(f->evidence, e);
}

void rpt_finding_cause(struct rpt_finding *f, enum rpt_cause_id cause, enum rpt_confidence conf,
                       const char *fmt, ...)
{
    if (f->num_causes >= RPT_MAX_CAUSES) {
        return;
    }
    struct rpt_cause *c = &f->causes[f->num_causes++];
    c->id = cause;
    c->confidence = conf;
    va_list ap;
    va_start(ap, fmt);
    c->why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
}

void rpt_finding_related(struct rpt_finding *f, uint64_t conn_id)
{
    f->related_total++;
    if (f->related->len < RPT_MAX_RELATED) {
        g_array_append_val(f->related, conn_id);
    }
}

void rpt_finding_rank_causes(struct rpt_finding *f)
{
    /* Insertion sort: at most RPT_MAX_CAUSES entries, and stable, so equal ranks keep the order
     * in which the rules found them. */
    for (uint32_t i = 1; i < f->num_causes; i++) {
        struct rpt_cause c = f->causes[i];
        uint32_t j = i;
        while (j > 0 && (f->causes[j - 1].confidence < c.confidence ||
                         (f->causes[j - 1].confidence == c.confidence &&
                          rpt_cause_priority(f->causes[j - 1].id) > rpt_cause_priority(c.id)))) {
            f->causes[j] = f->causes[j - 1];
            j--;
        }
        f->causes[j] = c;
    }
}
