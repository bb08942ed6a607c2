/* Defaults for the dissector's caps and heuristics. */
#include "dissect.h"

void tls_config_defaults(struct tls_config *c)
{
    /* A certificate chain is the largest handshake message in practice; 256 KiB holds chains far
     * beyond what real servers send while bounding a hostile 16 MB length claim. */
    c->max_handshake_msg = 256 * 1024;
    /* Three headers in a row that validate (type, version, length) have a chance of about
     * 2^-40 of lining up in random ciphertext. */
    c->resync_chain = 3;
    c->not_tls_after = 4;
    c->shared = NULL;
}
