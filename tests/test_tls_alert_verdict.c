/* Alert verdicts (dissect/tls_alert_verdict.c): each row is the evidence around one alert record
 * and the verdict, confidence and a word of the sentence the rules must give it. The captures
 * that show each pattern on a real wire are checked by e2e_alert_verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tls_conn_internal.h"

/* Evidence flags of a row. */
enum {
    PLAIN = 1 << 0,    /* not encrypted */
    IN_HS = 1 << 1,    /* before the handshake completed */
    NO_DATA = 1 << 2,  /* before_app_data */
    ACKED = 1 << 3,    /* acks known, the sender had acknowledged all the peer sent */
    UNACKED = 1 << 4,  /* acks known, it had not */
    PEER_MID = 1 << 5, /* the peer was inside a record */
    ANSWERS = 1 << 6,  /* the peer's last record before it was alert-sized */
    ANSWERED = 1 << 7, /* the peer's last record after it is alert-sized */
    MORE = 1 << 8,     /* the sender sent more records after it */
    FIN = 1 << 9,      /* the sender closed with FIN */
    RST = 1 << 10,     /* the sender sent a RST */
    PEER_CLOSED = 1 << 11,
    SERVER = 1 << 12,         /* sent by the server (default: the client) */
    PEER_RST_AFTER = 1 << 13, /* the peer reset the connection after it */
};

struct row {
    const char *name;
    unsigned flags;
    uint8_t peer_after; /* the peer's records after it */
    enum tls_alert_damage damage;
    uint8_t level;
    enum tls_alert_verdict verdict;
    enum tls_confidence confidence;
    const char *because_has; /* NULL: because must be NULL */
    bool fatal, close_notify;
};

static const struct row ROWS[] = {
    {"plaintext_fatal", PLAIN, 0, TLS_AD_NONE, 2, TLS_AV_EXACT, TLS_CONF_HIGH, NULL, true, false},
    {"plaintext_close_notify", PLAIN, 0, TLS_AD_NONE, 1, TLS_AV_EXACT, TLS_CONF_HIGH, NULL, false,
     true},
    /* TLS 1.3 client answering the server's encrypted flight instead of its Finished. */
    {"tls13_instead_of_finished", IN_HS | ACKED | FIN, 0, TLS_AD_NONE, 0, TLS_AV_FATAL,
     TLS_CONF_HIGH, "before the handshake completed", true, false},
    {"after_desync", ACKED | FIN | ANSWERS, 1, TLS_AD_DESYNC, 0, TLS_AV_FATAL, TLS_CONF_HIGH,
     "framing", true, false},
    {"after_truncation", ACKED | FIN | PEER_CLOSED, 0, TLS_AD_TRUNCATED, 0, TLS_AV_FATAL,
     TLS_CONF_HIGH, "cut in the middle", true, false},
    {"after_incons_mid_response_rst", PEER_MID | UNACKED | RST, 3, TLS_AD_INCONS, 0, TLS_AV_FATAL,
     TLS_CONF_HIGH, "retransmission", true, false},
    {"after_incons_no_close", ACKED, 0, TLS_AD_INCONS, 0, TLS_AV_FATAL, TLS_CONF_MEDIUM,
     "retransmission", true, false},
    /* The receiver kept good bytes: it answered the peer's close_notify and closed with FIN. */
    {"after_incons_reply_fin", ACKED | ANSWERS | FIN, 0, TLS_AD_INCONS, 0, TLS_AV_CLOSE_NOTIFY,
     TLS_CONF_MEDIUM, "past an earlier retransmission", false, true},
    {"probe_answered", NO_DATA | ACKED | ANSWERED | FIN, 1, TLS_AD_NONE, 0, TLS_AV_CLOSE_NOTIFY,
     TLS_CONF_HIGH, "handshake-only probe", false, true},
    /* curl: the pin check fails after the handshake; close_notify, then RST when the server's
     * own close_notify reaches a closed socket. */
    {"probe_answered_rst", NO_DATA | ACKED | ANSWERED | RST, 1, TLS_AD_NONE, 0, TLS_AV_CLOSE_NOTIFY,
     TLS_CONF_HIGH, "handshake-only probe", false, true},
    {"probe_tickets_then_answer", NO_DATA | ACKED | ANSWERED | FIN, 3, TLS_AD_NONE, 0,
     TLS_AV_CLOSE_NOTIFY, TLS_CONF_MEDIUM, "TLS 1.3 tickets", false, true},
    {"probe_fin_only", NO_DATA | ACKED | FIN, 0, TLS_AD_NONE, 0, TLS_AV_CLOSE_NOTIFY,
     TLS_CONF_MEDIUM, "handshake-only probe", false, true},
    {"probe_fin_tickets", NO_DATA | ACKED | FIN, 2, TLS_AD_NONE, 0, TLS_AV_CLOSE_NOTIFY,
     TLS_CONF_MEDIUM, "tickets", false, true},
    {"probe_rst_unanswered", NO_DATA | ACKED | RST, 0, TLS_AD_NONE, 0, TLS_AV_UNKNOWN, TLS_CONF_LOW,
     "neither answered", false, false},
    {"probe_server_flight_unacked", NO_DATA | UNACKED | RST, 0, TLS_AD_NONE, 0, TLS_AV_FATAL,
     TLS_CONF_MEDIUM, "still sending", true, false},
    {"mid_response_rst", PEER_MID | UNACKED | RST, 4, TLS_AD_NONE, 0, TLS_AV_FATAL, TLS_CONF_MEDIUM,
     "still sending", true, false},
    {"mid_response_unacked_fin", UNACKED | FIN, 0, TLS_AD_NONE, 0, TLS_AV_UNKNOWN, TLS_CONF_LOW,
     "early close_notify or an error", false, false},
    /* A client's close_notify after its request: the response follows and is read to FIN. */
    {"half_close_read_to_fin", ACKED | FIN, 2, TLS_AD_NONE, 0, TLS_AV_CLOSE_NOTIFY, TLS_CONF_MEDIUM,
     "half-close", false, true},
    {"last_record_answered", SERVER | ACKED | ANSWERED | FIN, 1, TLS_AD_NONE, 0,
     TLS_AV_CLOSE_NOTIFY, TLS_CONF_HIGH, "answered with an alert of its own", false, true},
    {"reply_then_fin", ACKED | ANSWERS | FIN, 0, TLS_AD_NONE, 0, TLS_AV_CLOSE_NOTIFY,
     TLS_CONF_MEDIUM, "answers the peer's closing alert", false, true},
    /* Both closing alerts crossed: the peer's was not yet acknowledged. */
    {"crossing_replies", UNACKED | ANSWERS | FIN, 0, TLS_AD_NONE, 0, TLS_AV_CLOSE_NOTIFY,
     TLS_CONF_MEDIUM, "answers the peer's closing alert", false, true},
    {"last_record_fin", ACKED | FIN, 0, TLS_AD_NONE, 0, TLS_AV_CLOSE_NOTIFY, TLS_CONF_MEDIUM,
     "then FIN", false, true},
    {"last_record_rst", ACKED | RST, 0, TLS_AD_NONE, 0, TLS_AV_CLOSE_NOTIFY, TLS_CONF_LOW,
     "then RST", false, true},
    {"last_record_no_close", ACKED, 0, TLS_AD_NONE, 0, TLS_AV_UNKNOWN, TLS_CONF_LOW,
     "no FIN or RST", false, false},
    /* nginx's close_notify after a Connection: close response, which the client resets on. */
    {"last_record_peer_reset", SERVER | ACKED | PEER_RST_AFTER, 0, TLS_AD_NONE, 0,
     TLS_AV_CLOSE_NOTIFY, TLS_CONF_LOW, "no FIN could follow", false, true},
    {"sender_went_on", ACKED | MORE, 0, TLS_AD_NONE, 0, TLS_AV_UNKNOWN, TLS_CONF_LOW,
     "went on sending", false, false},
    {"after_peer_unclean_close", SERVER | ACKED | FIN | PEER_CLOSED, 0, TLS_AD_NONE, 0,
     TLS_AV_UNKNOWN, TLS_CONF_LOW, "JDK", false, false},
    {"server_right_after_handshake", SERVER | NO_DATA | ACKED | FIN, 0, TLS_AD_NONE, 0,
     TLS_AV_UNKNOWN, TLS_CONF_LOW, "before any request", false, false},
    /* The server answering a probe's close_notify. */
    {"server_answers_probe", SERVER | NO_DATA | ACKED | ANSWERS | FIN, 0, TLS_AD_NONE, 0,
     TLS_AV_CLOSE_NOTIFY, TLS_CONF_MEDIUM, "answers the peer's closing alert", false, true},
};

static void run_row(void **state)
{
    const struct row *r = *state;
    struct tls_summary s;
    memset(&s, 0, sizeof(s));
    s.client_hello_seen = true;
    s.client_hello_dir = CAP_DIR_CLIENT;
    unsigned f = r->flags;
    struct tls_alert a = {
        .from = f & SERVER ? CAP_DIR_SERVER : CAP_DIR_CLIENT,
        .level = r->level,
        .description = f & PLAIN && r->level == 1 ? 0 : 20,
        .encrypted = !(f & PLAIN),
        .record_len = f & PLAIN ? 2 : 26,
        .verdict = f & PLAIN ? TLS_AV_EXACT : TLS_AV_UNKNOWN,
        .peer_records_after = r->peer_after,
        .before_app_data = (f & NO_DATA) != 0,
        .in_handshake = (f & IN_HS) != 0,
        .acks_known = (f & (ACKED | UNACKED)) != 0,
        .acked_peer = (f & ACKED) != 0,
        .peer_mid_record = (f & PEER_MID) != 0,
        .answers_alert = (f & ANSWERS) != 0,
        .peer_answered = (f & ANSWERED) != 0,
        .sender_more = (f & MORE) != 0,
        .next_fin = (f & FIN) != 0,
        .next_rst = (f & RST) != 0,
        .alert_sized = true,
        .peer_closed = (f & PEER_CLOSED) != 0,
        .peer_reset_after = (f & PEER_RST_AFTER) != 0,
        .damage = r->damage,
    };
    tls_alert_decide(&s, &a);
    assert_int_equal(a.verdict, r->verdict);
    assert_int_equal(a.confidence, r->confidence);
    if (r->because_has) {
        assert_non_null(a.because);
        if (strstr(a.because, r->because_has) == NULL) {
            fail_msg("because \"%s\" lacks \"%s\"", a.because, r->because_has);
        }
    } else {
        assert_null(a.because);
    }
    assert_int_equal(tls_alert_is_fatal(&a), r->fatal);
    assert_int_equal(tls_alert_is_close_notify(&a), r->close_notify);
    /* Never both. */
    assert_false(tls_alert_is_fatal(&a) && tls_alert_is_close_notify(&a));
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(tls_alert_verdict_name(TLS_AV_EXACT), "exact");
    assert_string_equal(tls_alert_verdict_name(TLS_AV_CLOSE_NOTIFY), "close_notify");
    assert_string_equal(tls_alert_verdict_name(TLS_AV_FATAL), "fatal");
    assert_string_equal(tls_alert_verdict_name(TLS_AV_UNKNOWN), "unknown");
    assert_string_equal(tls_confidence_name(TLS_CONF_LOW), "low");
    assert_string_equal(tls_confidence_name(TLS_CONF_MEDIUM), "medium");
    assert_string_equal(tls_confidence_name(TLS_CONF_HIGH), "high");
    /* The evidence lives in the record's padding: a connection keeps TLS_MAX_ALERTS inline. */
    assert_int_equal(sizeof(struct tls_alert), 40);
}

/* tls_conn_peer_acked before the alert's bytes: the alert record's evidence says whether its
 * sender had acknowledged everything its peer sent. */
static void test_ack_evidence(void **state)
{
    (void)state;
    static const uint8_t alert_rec[5 + 26] = {21, 3, 3, 0, 26};
    static const uint8_t data_rec[5 + 40] = {23, 3, 3, 0, 40};
    for (int acked_all = 0; acked_all < 2; acked_all++) {
        struct tls_conn *c = tls_conn_new(NULL);
        /* Mid-stream records (no handshake): the framer still tracks both directions. */
        for (int i = 0; i < 4; i++) {
            tls_conn_data(c, CAP_DIR_SERVER, (uint64_t)i * sizeof(data_rec), data_rec,
                          sizeof(data_rec), 1 + i);
        }
        tls_conn_peer_acked(c, CAP_DIR_SERVER, acked_all ? 4 * sizeof(data_rec) : 10);
        tls_conn_peer_acked(c, CAP_DIR_CLIENT, 0);
        tls_conn_data(c, CAP_DIR_CLIENT, 0, alert_rec, sizeof(alert_rec), 10);
        tls_conn_finish(c, NULL);
        const struct tls_summary *s = tls_conn_get_summary(c);
        assert_int_equal(s->num_alerts, 1);
        assert_true(s->alerts[0].encrypted);
        assert_true(s->alerts[0].acks_known);
        assert_int_equal(s->alerts[0].acked_peer, acked_all);
        assert_false(s->alerts[0].peer_mid_record);
        assert_int_not_equal(s->alerts[0].verdict, TLS_AV_EXACT);
        tls_conn_free(c);
    }
}

int main(void)
{
    struct CMUnitTest tests[G_N_ELEMENTS(ROWS) + 2];
    size_t n = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(ROWS); i++) {
        tests[n++] = (struct CMUnitTest){
            .name = ROWS[i].name, .test_func = run_row, .initial_state = (void *)&ROWS[i]};
    }
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_names);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_ack_evidence);
    return _cmocka_run_group_tests("tls_alert_verdict", tests, n, NULL, NULL);
}
