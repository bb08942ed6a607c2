/* The state the connections of one run share (tls_shared_internal.h): made once per run, freed
 * once no connection made with it is left. */
#include <glib.h>

#include "tls_shared_internal.h"

/* Past the ends of a burst of connections the rest go back to malloc: about 4 MB of connection
 * states and 1 MB of record buffers at most. */
#define TLS_SHARED_SPARE_CONNS 1024
#define TLS_SHARED_SPARE_RECS 256

struct tls_shared *tls_shared_new(void)
{
    struct tls_shared *s = g_new0(struct tls_shared, 1);
    s->fp_memo = tls_fp_memo_new();
    tls_conn_spares_init(&s->conn_spares, TLS_SHARED_SPARE_CONNS);
    tls_rec_spares_init(&s->rec_spares, TLS_SHARED_SPARE_RECS);
    return s;
}

void tls_shared_set_keylog(struct tls_shared *s, struct tls_keylog *k)
{
    s->keylog = k;
    if (k && !s->dec_states) {
        s->dec_states = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
        s->dec_scratch = g_malloc(TLS_DEC_SCRATCH);
    }
}

void tls_shared_free(struct tls_shared *s)
{
    if (s == NULL) {
        return;
    }
    tls_fp_memo_free(s->fp_memo);
    if (s->dec_states) {
        g_hash_table_destroy(s->dec_states);
    }
    g_free(s->dec_scratch);
    spare_list_cleanup(&s->conn_spares);
    spare_list_cleanup(&s->rec_spares);
    g_free(s);
}
