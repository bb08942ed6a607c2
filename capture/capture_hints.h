/* Speed hints of capture/: what a consumer may give the flow table so that the state it reads
 * when a flow ends is already in cache. A hint changes no result; a consumer that gives none
 * gets the same events. Kept apart from capture.h so the API reads without them. */
#ifndef TLSSCOPE_CAPTURE_HINTS_H
#define TLSSCOPE_CAPTURE_HINTS_H

#include "capture.h"

struct cap_stream_hints {
    /* on_ending_soon (may be NULL): flow is next in line to end by timeout (it follows one that
     * is ending now), so the state its on_close will read can be prefetched. A closed flow
     * waits timeout_closed for stragglers and its memory goes cold meanwhile. The flow's own
     * block, its user area included, was prefetched one end earlier. */
    void (*on_ending_soon)(void *user, struct cap_flow *flow);
};

/* cap_flow_table_set_hints: from now on t calls h's hooks with the user pointer its events get.
 * h is copied. */
void cap_flow_table_set_hints(struct cap_flow_table *t, const struct cap_stream_hints *h);

#endif
