/* The connection rules as a table: one row per finding kind, in the order findings are made
 * (which fixes their ids, F1, F2, ...). A row names its kind, whether it runs per connection or
 * per direction, its severity (and when it is lowered), when it applies and how it is built.
 * Adding a kind is a row in kinds.def, one here and its two functions. */
#include "findings_internal.h"

/* Default and lowered severities are stated here, not in the builders; docs/findings.md's
 * severity column says the same. */
static const struct rpt_rule connection_rules[] = {
    {RPT_K_FATAL_ALERT, RPT_PER_CONNECTION, RPT_SEV_ERROR, NULL, 0, rpt_rule_fatal_alert_applies,
     rpt_rule_fatal_alert},
    {RPT_K_RESUMPTION_REFUSED, RPT_PER_CONNECTION, RPT_SEV_WARNING, NULL, 0,
     rpt_rule_resumption_refused_applies, rpt_rule_resumption_refused},
    {RPT_K_RECORD_DESYNC, RPT_PER_CONNECTION, RPT_SEV_ERROR, NULL, 0,
     rpt_rule_record_desync_applies, rpt_rule_record_desync},
    /* per direction: the client's five, then the server's */
    {RPT_K_STREAM_GAP, RPT_PER_DIRECTION, RPT_SEV_WARNING, NULL, 0, rpt_rule_stream_gap_applies,
     rpt_rule_stream_gap},
    {RPT_K_INCONSISTENT_RETRANSMISSION, RPT_PER_DIRECTION, RPT_SEV_ERROR, rpt_rule_incons_harmless,
     RPT_SEV_WARNING, rpt_rule_incons_applies, rpt_rule_incons},
    {RPT_K_PATH_CHANGE, RPT_PER_DIRECTION, RPT_SEV_WARNING, NULL, 0, rpt_rule_path_change_applies,
     rpt_rule_path_change},
    {RPT_K_TRUNCATED_STREAM, RPT_PER_DIRECTION, RPT_SEV_ERROR, NULL, 0, rpt_rule_truncated_applies,
     rpt_rule_truncated},
    {RPT_K_OVERSIZED_RECORD, RPT_PER_DIRECTION, RPT_SEV_WARNING, NULL, 0,
     rpt_rule_oversized_applies, rpt_rule_oversized},
    {RPT_K_RECORD_AUTH_FAILED, RPT_PER_DIRECTION, RPT_SEV_ERROR, NULL, 0,
     rpt_rule_auth_failed_applies, rpt_rule_auth_failed},
    /* A ClientHello answered in another protocol failed (an error); a client speaking plaintext
     * to a TLS port (HTTP to 443) is a classic misconfiguration, a warning, not trivia. */
    {RPT_K_NOT_TLS, RPT_PER_CONNECTION, RPT_SEV_ERROR, rpt_rule_not_tls_plaintext, RPT_SEV_WARNING,
     rpt_rule_not_tls_applies, rpt_rule_not_tls},
    {RPT_K_INCOMPLETE_HANDSHAKE, RPT_PER_CONNECTION, RPT_SEV_WARNING, NULL, 0,
     rpt_rule_incomplete_applies, rpt_rule_incomplete},
    /* Only a reset nothing else accounts for (during the handshake, say) warns. */
    {RPT_K_TCP_RESET, RPT_PER_DIRECTION, RPT_SEV_WARNING, rpt_rule_reset_routine, RPT_SEV_INFO,
     rpt_rule_reset_applies, rpt_rule_reset},
    {RPT_K_OBSOLETE_VERSION, RPT_PER_CONNECTION, RPT_SEV_WARNING, NULL, 0,
     rpt_rule_obsolete_applies, rpt_rule_obsolete},
    {RPT_K_WEAK_CIPHER, RPT_PER_CONNECTION, RPT_SEV_WARNING, NULL, 0, rpt_rule_weak_cipher_applies,
     rpt_rule_weak_cipher},
    {RPT_K_UNCLEAN_CLOSE, RPT_PER_CONNECTION, RPT_SEV_WARNING, NULL, 0,
     rpt_rule_unclean_close_applies, rpt_rule_unclean_close},
};

static void run_rule(const struct rpt_rule *rule, const struct rpt_facts *x, int dir,
                     GPtrArray *out)
{
    if (!rule->applies(x, dir)) {
        return;
    }
    enum rpt_severity sev =
        rule->lowered && rule->lowered(x, dir) ? rule->lowered_to : rule->severity;
    rule->build(x, dir, sev, out);
}

void rpt_findings_connection(const struct rpt_ctx *r, const struct rpt_connection *c,
                             const struct rpt_conn_plan *plan, GPtrArray *out)
{
    const struct tls_summary *t = c->tls;
    struct rpt_facts x = {
        .r = r,
        .c = c,
        .fl = c->flow,
        .t = t,
        .is_tls = t && t->is_tls,
        .plan = plan,
        .fatal = rpt_first_fatal_alert(c->flow, t),
    };
    size_t n = G_N_ELEMENTS(connection_rules);
    for (size_t i = 0; i < n;) {
        if (connection_rules[i].scope == RPT_PER_CONNECTION) {
            run_rule(&connection_rules[i], &x, -1, out);
            i++;
            continue;
        }
        size_t end = i;
        while (end < n && connection_rules[end].scope == RPT_PER_DIRECTION) {
            end++;
        }
        for (int d = 0; d < 2; d++) {
            for (size_t k = i; k < end; k++) {
                run_rule(&connection_rules[k], &x, d, out);
            }
        }
        i = end;
    }
}
