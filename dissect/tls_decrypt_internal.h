/* Internal to dissect/: decryption of a connection's alert records with keys from a key log
 * (tls_keylog.h, tls_crypto.h). Only connections of a run given a key log carry the state, kept
 * beside them in the run's tls_shared (never in struct tls_conn), so a run without keys does
 * exactly what it did before. */
#ifndef TLSSCOPE_TLS_DECRYPT_INTERNAL_H
#define TLSSCOPE_TLS_DECRYPT_INTERNAL_H

#include "tls_conn_internal.h"

/* tls_dec_wanted: the run has a key log, so c keeps what decryption needs. */
bool tls_dec_wanted(const struct tls_conn *c);
void tls_dec_client_random(struct tls_conn *c, const uint8_t random[32]);
void tls_dec_server_random(struct tls_conn *c, const uint8_t random[32]);
/* tls_dec_record: a record of direction dir after its keys changed (TLS <= 1.2: from the
 * ChangeCipherSpec on, ccs true for the CCS itself; TLS 1.3: application_data after the
 * ServerHello). Counts it for its sequence number; true when its body is wanted (a record
 * that may be an alert), which then arrives through tls_dec_body. */
bool tls_dec_record(struct tls_conn *c, enum cap_dir dir, const struct tls_record_info *rec,
                    bool ccs);
void tls_dec_body(struct tls_conn *c, enum cap_dir dir, const struct tls_record_info *rec,
                  const uint8_t *body, size_t len);
/* tls_dec_alerts: decrypts the kept alert records whose keys are in the key log and makes each
 * that authenticates exact (level and description read); sets sum.decryption. Before the
 * verdicts (tls_close.c). */
void tls_dec_alerts(struct tls_conn *c);
/* tls_dec_stop: the record chain of dir can no longer be followed (a desync, a lost body):
 * its later records are not verified. */
void tls_dec_stop(struct tls_conn *c, enum cap_dir dir);
/* tls_dec_swap_dirs: the directions turned out the other way round (tls_conn_swap_dirs). */
void tls_dec_swap_dirs(struct tls_conn *c);
/* tls_dec_release: frees c's state (tls_conn_free). */
void tls_dec_release(struct tls_conn *c);

#endif
