/* Fuzz target: the flow table and TCP reassembler driven by a byte-coded list of segment
 * operations over a handful of tuples: each op picks a tuple, direction, flags, a sequence
 * delta (forward, backward, wrapping) and a payload length. Caps are set small so that the
 * cap paths are exercised too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_data(void *user, struct cap_flow *flow, enum cap_dir dir, uint64_t offset,
                    const uint8_t *bytes, size_t len, int64_t ts_us)
{
    (void)flow;
    (void)dir;
    (void)offset;
    (void)ts_us;
    /* Touch every delivered byte so ASan checks the views handed out. */
    uint64_t *sum = user;
    for (size_t i = 0; i < len; i++) {
        *sum += bytes[i];
    }
}

static const struct cap_stream_events events = {.on_data = on_data};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t payload[4096];
    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 7);
    }
    struct cap_flow_config cfg;
    cap_flow_config_defaults(&cfg);
    cfg.max_flows = 4;
    cfg.ooo_max_bytes = 8192;
    cfg.ooo_max_segments = 16;
    cfg.max_memory = 256 * 1024;
    uint64_t sum = 0;
    struct cap_flow_table *t = cap_flow_table_new(&cfg, &events, &sum);
    uint32_t seq[8][2] = {{0}};
    int64_t ts = 1000000000;
    for (size_t i = 0; i + 4 <= size; i += 4) {
        const uint8_t *op = data + i;
        unsigned tuple = op[0] & 7;
        unsigned dir = (op[0] >> 3) & 1;
        struct cap_segment s;
        memset(&s, 0, sizeof(s));
        s.src.family = s.dst.family = 4;
        s.src.bytes[0] = 10;
        s.dst.bytes[0] = 10;
        s.src.bytes[3] = (uint8_t)(dir ? 2 : 1);
        s.dst.bytes[3] = (uint8_t)(dir ? 1 : 2);
        s.sport = (uint16_t)(dir ? 443 : 40000 + tuple);
        s.dport = (uint16_t)(dir ? 40000 + tuple : 443);
        s.flags = op[1];
        int32_t delta = (int8_t)op[2] * 97;
        seq[tuple][dir] += (uint32_t)delta;
        s.seq = seq[tuple][dir];
        s.ack = seq[tuple][!dir];
        s.window = (op[0] & 0x40) ? 0 : 512;
        s.ttl = (op[0] & 0x80) ? 63 : 64;
        s.payload_len = (size_t)op[3] * 16 % sizeof(payload);
        s.payload = payload + (op[2] % 16);
        if (s.payload_len + (op[2] % 16) > sizeof(payload)) {
            s.payload_len = sizeof(payload) - (op[2] % 16);
        }
        ts += (op[1] & 0x20) ? 400000000 : 1000;
        s.ts_us = ts;
        s.pkt_index = i / 4 + 1;
        cap_flow_table_add(t, &s);
        seq[tuple][dir] += (uint32_t)s.payload_len;
    }
    cap_flow_table_finish(t);
    cap_flow_table_free(t);
    return 0;
}
