/* The per-connection TLS state shared by the connection state machine (tls_conn.c) and the
 * close-time inferences (tls_close.c). Internal to dissect/ and its tests. */
#ifndef TLSSCOPE_TLS_CONN_INTERNAL_H
#define TLSSCOPE_TLS_CONN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "dissect.h"
#include "tls_handshake_internal.h"
#include "tls_record_internal.h"
#include "tls_starttls_internal.h"

struct tls_conn;

/* The framer callbacks' user pointer: which connection, which direction. */
struct tls_dir_ctx {
    struct tls_conn *conn;
    enum cap_dir dir;
};

struct tls_dir_state {
    bool encrypted;        /* TLS <= 1.2: this side sent its ChangeCipherSpec */
    bool finished;         /* this side's Finished was seen (or inferred) */
    bool hs_lost;          /* handshake bytes of this side were lost: stop parsing them */
    bool last_is_alert;    /* the last record this side sent carried an alert */
    int32_t last_alert;    /* index in summary alerts of that alert, -1 when not kept */
    bool plain_close_notify;
    uint32_t recent_next;  /* ring position in tls_dir_summary.recent */
    uint64_t enc_records;  /* TLS 1.3: encrypted records after the ServerHello */
};

struct tls_conn {
    struct tls_config cfg;
    struct tls_summary sum;
    struct tls_framer fr[2];
    struct tls_hs_reasm hs[2];
    struct tls_dir_ctx ctx[2];
    struct tls_dir_state ds[2];
    struct tls_prelude pre[2];
    bool tls13;
    bool hs_complete;
    bool abbreviated;        /* TLS <= 1.2: the server went to CCS without a key exchange */
    bool server_full_flow;   /* Certificate, ServerKeyExchange or ServerHelloDone from the server */
    bool fatal_alert;        /* a plaintext fatal alert */
    bool enc_alert_in_hs;    /* an encrypted alert before the handshake completed */
    bool app_data_seen;      /* application data after the handshake, either side */
    bool finished_called;
};

/* tls_conn_add_alert: appends to the summary (exact count, first TLS_MAX_ALERTS kept); returns
 * the index kept or -1. */
int32_t tls_conn_add_alert(struct tls_conn *c, const struct tls_alert *a);
/* tls_conn_add_history: one Zeek ssl_history letter, upper case for the client. */
void tls_conn_add_history(struct tls_conn *c, enum cap_dir dir, char letter);
/* tls_close_settle: close_notify per side and TLS 1.3 encrypted-alert inference (tls_close.c). */
void tls_close_settle(struct tls_conn *c, const struct cap_flow_summary *flow);
/* tls_alert_record_len13: the size of an encrypted TLS 1.3 alert record for the cipher. */
uint16_t tls_alert_record_len13(uint16_t cipher);

#endif
