/* Internal to the findings rules (report/findings_*.c, rules.c): the facts a rule reads, the
 * rule record, and the phrases several rules print. Rules make findings and nothing else: every
 * decision that depends on the reporter's running state (grouping per server) is taken before
 * they run and handed to them in the plan. */
#ifndef TLSSCOPE_FINDINGS_INTERNAL_H
#define TLSSCOPE_FINDINGS_INTERNAL_H

#include "report_internal.h"

/* Alert descriptions, RFC 8446 §6 and RFC 5246 §7.2. */
enum {
    ALERT_UNEXPECTED_MESSAGE = 10,
    ALERT_BAD_RECORD_MAC = 20,
    ALERT_DECRYPTION_FAILED = 21,
    ALERT_RECORD_OVERFLOW = 22,
    ALERT_HANDSHAKE_FAILURE = 40,
    ALERT_BAD_CERTIFICATE = 42,
    ALERT_UNSUPPORTED_CERTIFICATE = 43,
    ALERT_CERTIFICATE_REVOKED = 44,
    ALERT_CERTIFICATE_EXPIRED = 45,
    ALERT_CERTIFICATE_UNKNOWN = 46,
    ALERT_UNKNOWN_CA = 48,
    ALERT_DECODE_ERROR = 50,
    ALERT_DECRYPT_ERROR = 51,
    ALERT_PROTOCOL_VERSION = 70,
    ALERT_INSUFFICIENT_SECURITY = 71,
    ALERT_INAPPROPRIATE_FALLBACK = 86,
    ALERT_CERTIFICATE_REQUIRED = 116,
};

/* Everything a connection rule may read. */
struct rpt_facts {
    const struct rpt_ctx *r; /* options and the origin table, read only */
    const struct rpt_connection *c;
    const struct cap_flow_summary *fl;
    const struct tls_summary *t; /* NULL when the connection was not dissected */
    bool is_tls;
    const struct rpt_conn_plan *plan;
    const struct tls_alert *fatal; /* the first fatal alert, or NULL */
};

/* A rule runs once per connection, or once per direction: consecutive per-direction rows of a
 * table form one block that runs for the client's direction, then again for the server's. */
enum rpt_scope { RPT_PER_CONNECTION, RPT_PER_DIRECTION };

struct rpt_rule {
    enum rpt_kind kind;
    enum rpt_scope scope;
    enum rpt_severity severity;
    /* lowered: when set and true, the finding is made at lowered_to instead (the reason is in
     * docs/findings.md's severity column). */
    bool (*lowered)(const struct rpt_facts *x, int dir);
    enum rpt_severity lowered_to;
    /* applies: whether the rule makes anything here; build: makes the finding (a few rules
     * make one per item, e.g. per desync) and appends it to out. dir is -1 per connection. */
    bool (*applies)(const struct rpt_facts *x, int dir);
    void (*build)(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out);
};

/* Rules, by the file that holds them. */
bool rpt_rule_fatal_alert_applies(const struct rpt_facts *x, int dir);
void rpt_rule_fatal_alert(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                          GPtrArray *out);
bool rpt_rule_resumption_refused_applies(const struct rpt_facts *x, int dir);
void rpt_rule_resumption_refused(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                                 GPtrArray *out);
bool rpt_rule_record_desync_applies(const struct rpt_facts *x, int dir);
void rpt_rule_record_desync(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                            GPtrArray *out);
bool rpt_rule_stream_gap_applies(const struct rpt_facts *x, int dir);
void rpt_rule_stream_gap(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out);
bool rpt_rule_incons_applies(const struct rpt_facts *x, int dir);
bool rpt_rule_incons_harmless(const struct rpt_facts *x, int dir);
void rpt_rule_incons(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out);
bool rpt_rule_path_change_applies(const struct rpt_facts *x, int dir);
void rpt_rule_path_change(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                          GPtrArray *out);
bool rpt_rule_truncated_applies(const struct rpt_facts *x, int dir);
void rpt_rule_truncated(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out);
bool rpt_rule_oversized_applies(const struct rpt_facts *x, int dir);
bool rpt_rule_auth_failed_applies(const struct rpt_facts *x, int dir);
void rpt_rule_auth_failed(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                          GPtrArray *out);
void rpt_rule_oversized(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out);
bool rpt_rule_not_tls_applies(const struct rpt_facts *x, int dir);
bool rpt_rule_not_tls_plaintext(const struct rpt_facts *x, int dir);
void rpt_rule_not_tls(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out);
bool rpt_rule_incomplete_applies(const struct rpt_facts *x, int dir);
void rpt_rule_incomplete(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out);
bool rpt_rule_reset_applies(const struct rpt_facts *x, int dir);
bool rpt_rule_reset_routine(const struct rpt_facts *x, int dir);
void rpt_rule_reset(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out);
bool rpt_rule_obsolete_applies(const struct rpt_facts *x, int dir);
void rpt_rule_obsolete(const struct rpt_facts *x, int dir, enum rpt_severity sev, GPtrArray *out);
bool rpt_rule_weak_cipher_applies(const struct rpt_facts *x, int dir);
void rpt_rule_weak_cipher(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                          GPtrArray *out);
bool rpt_rule_unclean_close_applies(const struct rpt_facts *x, int dir);
void rpt_rule_unclean_close(const struct rpt_facts *x, int dir, enum rpt_severity sev,
                            GPtrArray *out);

/* Phrases (findings_text.c). Each returns its text, in buf when it had to format one. */
const char *rpt_version_str(uint16_t v, char *buf, size_t len);
const char *rpt_alert_str(uint8_t desc, char *buf, size_t len);
const char *rpt_cipher_str(uint16_t id, char *buf, size_t len);
/* rpt_duration_str: milliseconds below a second (handshake-scale delays on a LAN are fractions
 * of a millisecond), seconds above. */
const char *rpt_duration_str(int64_t us, char *buf, size_t len);
/* rpt_client_versions_str: the versions the client offered, "a, b"; newly allocated. */
char *rpt_client_versions_str(const struct tls_summary *t);
bool rpt_client_offered(const struct tls_summary *t, uint16_t v);

#endif
