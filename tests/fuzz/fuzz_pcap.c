/* Fuzz target: the whole pipeline from capture-file bytes: libpcap parses the file from memory
 * (fmemopen + pcap_fopen_offline), then decode, flow table, reassembly, TLS dissection and the
 * reporter with no outputs. */
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cap_source *src = cap_source_open_memory(data, size, NULL, NULL);
    if (src == NULL) {
        return 0;
    }
    struct rpt_options ro;
    rpt_options_defaults(&ro);
    struct rpt_ctx *rpt = rpt_new(&ro, NULL);
    struct cap_flow_config fc;
    cap_flow_config_defaults(&fc);
    fc.max_flows = 64;
    fc.max_memory = 4 * 1024 * 1024;
    struct tls_config tc;
    tls_config_defaults(&tc);
    struct pipeline p;
    pipeline_init(&p, &fc, &tc, NULL, rpt);
    for (;;) {
        enum cap_source_status st = cap_source_dispatch(src, 0, pipeline_packet, &p, NULL);
        if (st != CAP_SOURCE_OK) {
            break;
        }
    }
    pipeline_finish(&p);
    struct cap_source_stats sst;
    cap_source_get_stats(src, &sst);
    struct cap_table_stats tst;
    cap_flow_table_get_stats(p.flows, &tst);
    struct rpt_capture_info info = {.source = &sst, .table = &tst};
    bool written = rpt_finish(rpt, &info, NULL);
    (void)written;
    rpt_free(rpt);
    pipeline_cleanup(&p);
    cap_source_free(src);
    return 0;
}
