/* Fuzz target: the handshake message decoders (ClientHello, SSLv2 hello, ServerHello,
 * Certificate, NewSessionTicket, ServerKeyExchange) on one message body each. The first byte
 * picks the decoder so one corpus covers them all. Hello fingerprints are also taken through
 * one memo that lives across inputs (tls_fp_memo.c), which must agree with computing them. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls_decode_internal.h"
#include "tls_shared_internal.h"

static struct tls_fp_memo *memo(void)
{
    static struct tls_fp_memo *m;
    if (m == NULL) {
        m = tls_fp_memo_new();
    }
    return m;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    struct cur body = cur_make(data + 1, size - 1);
    switch (data[0] % 8) {
    case 0: {
        struct tls_client_hello ch;
        if (tls_decode_client_hello(body, &ch) == TLS_DECODE_OK) {
            char ja3[33], ja4[40], s[256], mja3[33], mja4[40];
            tls_ja3(&ch, ja3, s, sizeof(s));
            tls_ja4(&ch, ja4);
            tls_fp_client(memo(), &ch, mja3, mja4);
            if (strcmp(ja3, mja3) != 0 || strcmp(ja4, mja4) != 0) {
                abort();
            }
        }
        break;
    }
    case 1: {
        struct tls_client_hello ch;
        enum tls_decode_status st = tls_decode_sslv2_client_hello(body, &ch);
        (void)st;
        break;
    }
    case 2: {
        struct tls_server_hello sh;
        if (tls_decode_server_hello(body, &sh) == TLS_DECODE_OK) {
            char ja3s[33], mja3s[33];
            tls_ja3s(&sh, ja3s);
            tls_fp_server(memo(), &sh, mja3s);
            if (strcmp(ja3s, mja3s) != 0) {
                abort();
            }
        }
        break;
    }
    case 3:
    case 4: {
        struct tls_certificate cert;
        enum tls_decode_status st = tls_decode_certificate(body, data[0] % 8 == 4, &cert);
        (void)st;
        break;
    }
    case 5:
    case 6: {
        struct tls_new_session_ticket t;
        enum tls_decode_status st = tls_decode_new_session_ticket(body, data[0] % 8 == 6, &t);
        (void)st;
        break;
    }
    default: {
        uint16_t group;
        enum tls_decode_status st = tls_decode_server_key_exchange_group(body, &group);
        (void)st;
        break;
    }
    }
    return 0;
}
