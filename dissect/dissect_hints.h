/* Speed hints of dissect/: what the pipeline may call so that the TLS state it is about to
 * touch is already in cache. A hint changes no result; a caller that gives none gets the same
 * summaries. Kept apart from dissect.h so the API reads without them. */
#ifndef TLSSCOPE_DISSECT_HINTS_H
#define TLSSCOPE_DISSECT_HINTS_H

#include "dissect.h"

/* tls_conn_prefetch: a hint (NULL-safe, changes nothing): c is about to be finished and read. */
void tls_conn_prefetch(const struct tls_conn *c);
/* tls_conn_prefetch_summary: a hint (NULL-safe, changes nothing): c's summary is about to be
 * read whole; what it keeps out of line (certificate, ALPN names, desyncs) is fetched. */
void tls_conn_prefetch_summary(const struct tls_conn *c);
/* tls_conn_prefetch_data: a hint (NULL-safe, changes nothing): stream bytes of direction dir are
 * about to be given to c; the state framing them is fetched meanwhile. */
void tls_conn_prefetch_data(const struct tls_conn *c, enum cap_dir dir);

#endif
