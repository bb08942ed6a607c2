/* Fuzz target: one TLS connection's dissector fed chunked input in alternating directions,
 * with gaps. Each step is a control byte (direction, gap or data, chunk length) followed by
 * that many bytes of stream, so the fuzzer controls every split point. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dissect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tls_config cfg;
    tls_config_defaults(&cfg);
    struct tls_conn *conn = tls_conn_new(&cfg);
    uint64_t offset[2] = {0, 0};
    int64_t ts = 1000000;
    size_t i = 0;
    while (i < size) {
        uint8_t ctl = data[i++];
        enum cap_dir dir = (ctl & 0x80) ? CAP_DIR_SERVER : CAP_DIR_CLIENT;
        size_t n = (size_t)(ctl & 0x3f) * 37 + 1;
        ts += 1000;
        if (ctl & 0x40) {
            /* A gap of n bytes: the framer must resynchronise after it. */
            tls_conn_gap(conn, dir, offset[dir], n, ts);
            offset[dir] += n;
            continue;
        }
        if (n > size - i) {
            n = size - i;
        }
        if (tls_conn_wants_data(conn)) {
            tls_conn_data(conn, dir, offset[dir], data + i, n, ts);
        }
        offset[dir] += n;
        i += n;
    }
    struct cap_flow_summary flow;
    memset(&flow, 0, sizeof(flow));
    flow.dir[0].fin_seen = true;
    flow.dir[0].fin_offset = offset[0];
    flow.dir[1].rst_seen = true;
    flow.dir[1].rst_offset = offset[1];
    tls_conn_finish(conn, &flow);
    (void)tls_conn_get_summary(conn);
    tls_conn_free(conn);
    return 0;
}
