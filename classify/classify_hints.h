/* Speed hints of classify/: a hint changes no verdict; a caller that gives none gets the same
 * results. Kept apart from classify.h so the API reads without them. */
#ifndef TLSSCOPE_CLASSIFY_HINTS_H
#define TLSSCOPE_CLASSIFY_HINTS_H

#include "classify.h"

/* cls_flow_prefetch: a speed hint (NULL-safe, changes nothing): the flow is about to be
 * finished. */
void cls_flow_prefetch(const struct cls_flow *f);

#endif
