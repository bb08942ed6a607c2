/* The lists a flow summary's directions own: released with the flow, deep-copied for a summary
 * that must outlive it. */
#include <string.h>

#include "capture.h"

void cap_dir_stats_release(struct cap_dir_stats *d)
{
    g_free(d->gaps);
    g_free(d->incons);
    g_free(d->ttl_changes);
    g_free(d->link_src_changes);
    d->gaps = NULL;
    d->incons = NULL;
    d->ttl_changes = NULL;
    d->link_src_changes = NULL;
}

void cap_flow_summary_release(struct cap_flow_summary *s)
{
    cap_dir_stats_release(&s->dir[0]);
    cap_dir_stats_release(&s->dir[1]);
}

static void *dup_list(const void *list, size_t bytes)
{
    return list ? g_memdup2(list, bytes) : NULL;
}

void cap_flow_summary_copy(struct cap_flow_summary *dst, const struct cap_flow_summary *src)
{
    *dst = *src;
    for (int d = 0; d < 2; d++) {
        const struct cap_dir_stats *from = &src->dir[d];
        struct cap_dir_stats *to = &dst->dir[d];
        to->gaps = dup_list(from->gaps, sizeof(struct cap_gap) * CAP_MAX_GAPS);
        to->incons = dup_list(from->incons, sizeof(struct cap_incons) * CAP_MAX_INCONS);
        to->ttl_changes = dup_list(from->ttl_changes, sizeof(struct cap_change) * CAP_MAX_CHANGES);
        to->link_src_changes =
            dup_list(from->link_src_changes, sizeof(struct cap_change) * CAP_MAX_CHANGES);
    }
}
