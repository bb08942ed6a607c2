/* bench/pcap_read_loop.c: the floor for bench/run. Reads a capture with libpcap and does nothing
 * with the packets except count them and their captured bytes, so its time is what reading the
 * file costs any libpcap-based analyzer before any analysis. Built by bench/run with cc; not part
 * of the CMake build. Usage: pcap_read_loop FILE ; prints "packets N bytes N". */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>

struct counts {
    uint64_t packets;
    uint64_t bytes;
};

static void count_packet(u_char *user, const struct pcap_pkthdr *hdr, const u_char *bytes)
{
    struct counts *c = (struct counts *)user;

    (void)bytes;
    c->packets++;
    c->bytes += hdr->caplen;
}

int main(int argc, char **argv)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    struct counts c = {0, 0};
    pcap_t *p;
    int rc;

    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    p = pcap_open_offline(argv[1], errbuf);
    if (p == NULL) {
        fprintf(stderr, "pcap_read_loop: %s\n", errbuf);
        return 2;
    }
    /* -1: as many packets as one buffer holds per call, the way a batch reader would. */
    while ((rc = pcap_dispatch(p, -1, count_packet, (u_char *)&c)) > 0) {
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_read_loop: %s\n", pcap_geterr(p));
        pcap_close(p);
        return 1;
    }
    pcap_close(p);
    printf("packets %" PRIu64 " bytes %" PRIu64 "\n", c.packets, c.bytes);
    return 0;
}
