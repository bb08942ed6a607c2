/* Fuzz target: the whole pipeline from capture-file bytes: libpcap parses the file from memory
 * (fmemopen + pcap_fopen_offline), then the engine (decode, flow table, reassembly, TLS
 * dissection; no nDPI, which would make each input slow) and the reporter with no outputs. */
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

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
    struct eng_options eo;
    eng_options_defaults(&eo);
    eo.flow.max_flows = 64;
    eo.flow.max_memory = 4 * 1024 * 1024;
    eo.ndpi = false;
    struct engine *e = eng_new(&eo, rpt, NULL, NULL, NULL);
    bool read_ok = eng_read_all(e, src, NULL);
    (void)read_ok;
    struct eng_capture_info ci;
    eng_capture_info(e, src, &ci);
    bool written = rpt_finish(rpt, &ci.info, NULL);
    (void)written;
    rpt_free(rpt);
    eng_free(e);
    cap_source_free(src);
    return 0;
}
