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
    /* tls_conn_peer_acked: the other side had acknowledged every byte of this direction seen so
     * far (acked_all), as of the last call (acked_known: there was one). */
    bool acked_known : 1;
    bool acked_all : 1;
    /* The evidence at this side's last record (copied into an alert it turns out to be): ACKs
     * of both directions, the peer's framer inside a record, the peer's last record
     * alert-sized; then what the peer sent after it (how many records, the latest alert-sized). */
    bool last_acks_known : 1;
    bool last_acked_peer : 1;
    bool last_peer_acked : 1;
    bool last_peer_mid : 1;
    bool last_answers_alert : 1;
    bool after_last_alert_sized : 1; /* the peer's latest record since then is alert-sized */
    uint8_t peer_after; /* the peer's records since this side's last record, 255 at most */
    bool last_before_app_data : 1; /* that record came after the handshake, before any data */
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
/* tls_alert_verdicts: every kept alert's verdict, confidence and because, from the evidence
 * gathered while framing and the TCP close facts in flow (tls_alert_verdict.c). Runs at close,
 * after the TLS 1.3 final-record inference and before close_notify is settled per side. */
void tls_alert_verdicts(struct tls_conn *c, const struct cap_flow_summary *flow);
/* tls_alert_decide: the verdict, confidence and because of a from its evidence members alone
 * (s says which side is the client); tls_alert_verdicts fills the evidence first. */
void tls_alert_decide(const struct tls_summary *s, struct tls_alert *a);
/* tls_alert_sized: rec has the size and type of an encrypted alert record: content type 21
 * (TLS <= 1.2), or TLS 1.3 application data of exactly tls_alert_record_len13. */
bool tls_alert_sized(const struct tls_conn *c, const struct tls_record_info *rec);
/* tls_alert_record_len13: the size of an encrypted TLS 1.3 alert record for the cipher. */
uint16_t tls_alert_record_len13(uint16_t cipher);

#endif
