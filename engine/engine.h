/* engine: the pipeline of one run as a library, linked by the command line and by every test
 * that analyses a capture. Packets are decoded and fed to the flow table, whose stream events
 * drive one TLS dissector and (unless disabled) one nDPI classification per flow; each flow
 * that ends is handed, with its TLS summary and verdict, to the reporter. This is the only
 * place where capture's, classify's, dissect's and report's types meet. */
#ifndef TLSSCOPE_ENGINE_H
#define TLSSCOPE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "capture.h"
#include "classify.h"
#include "dissect.h"
#include "report.h"

struct eng_options {
    struct cap_flow_config flow;
    struct tls_config tls; /* its shared state is the engine's own */
    bool ndpi;             /* classify flows with nDPI (--no-ndpi clears) */
    struct cls_options cls;
    struct tls_keylog *keylog; /* borrowed, outlives the engine; NULL: no decryption */
};
void eng_options_defaults(struct eng_options *o);

/* A connection as it ends, for a caller that wants it besides (or instead of) the reporter:
 * c and what it points to live only for the call. */
typedef void (*eng_connection_fn)(void *user, const struct rpt_connection *c);

struct engine;

/* eng_new: an engine that reports each connection to rpt (borrowed; NULL: to on_connection
 * only) and then to on_connection (may be NULL). When nDPI cannot initialise, the engine runs
 * without classification and *warning (may be NULL) says why. */
struct engine *eng_new(const struct eng_options *o, struct rpt_ctx *rpt,
                       eng_connection_fn on_connection, void *user, GError **warning);
/* eng_packet: a cap_packet_fn; user is the struct engine. */
void eng_packet(void *user, const struct cap_packet *pkt);
/* eng_advance: capture time has reached now_us with no packet (an idle live link): flows whose
 * timeouts passed end and are reported. */
void eng_advance(struct engine *e, int64_t now_us);
/* eng_finish: ends every open flow (capture_end), reporting each. */
void eng_finish(struct engine *e);
/* eng_read_all: reads src to its end through the engine and finishes it. False with error on a
 * read error (what was read before it is analysed and finished too). */
bool eng_read_all(struct engine *e, struct cap_source *src, GError **error);

/* eng_packets: packets given so far; eng_first_ts_us: the earliest time among them. */
uint64_t eng_packets(const struct engine *e);
int64_t eng_first_ts_us(const struct engine *e);

/* Capture-wide facts for rpt_finish, with the storage they point into. */
struct eng_capture_info {
    struct rpt_capture_info info;
    struct cap_source_stats source;
    struct cap_table_stats table;
    struct cls_stats classification;
};
/* eng_capture_info: fills out from the engine and src (may be NULL); the caller sets
 * out->info.num_sources, sources and interrupted. */
void eng_capture_info(const struct engine *e, struct cap_source *src,
                      struct eng_capture_info *out);
void eng_free(struct engine *e);

#endif
