/* The Decryption Secrets Blocks of a pcapng file (draft-ietf-opsawg-pcapng §4.7, block type
 * 0x0000000A: what `editcap --inject-secrets tls,keys.txt` writes). libpcap skips these blocks,
 * so the file's block chain is walked here, from its Section Header up to the first packet:
 * a secrets block is written before the packets it decrypts, and editcap puts them all at the
 * start, so the packets themselves are never read twice. Every length comes from the file and
 * is checked against what is left of the block before use. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "cursor.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_DSB 0x0000000Au
#define BOM 0x1A2B3C4Du
/* A secrets block longer than this is not a key log anyone wrote by hand; refuse it. */
#define MAX_BLOCK (16u << 20)

static uint32_t get32(const uint8_t *p, bool swap)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return swap ? __builtin_bswap32(v) : v;
}

bool cap_pcapng_secrets_mem(const uint8_t *bytes, size_t len, cap_secrets_fn fn, void *user)
{
    struct cur c = cur_make(bytes, len);
    bool swap = false;
    bool in_section = false;
    unsigned found = 0;
    for (;;) {
        struct cur peek = c;
        const uint8_t *h;
        if (!cur_bytes(&peek, 12, &h)) {
            break;
        }
        uint32_t type_le = get32(h, false);
        if (type_le == BT_SHB) {
            /* The byte-order magic follows the length; the type reads the same both ways. */
            uint32_t bom = get32(h + 8, false);
            if (bom != BOM && bom != __builtin_bswap32(BOM)) {
                return found > 0;
            }
            swap = bom != BOM;
            in_section = true;
        } else if (!in_section) {
            return false; /* not pcapng */
        }
        uint32_t type = get32(h, swap);
        uint32_t total = get32(h + 4, swap);
        if (total < 12 || total % 4 != 0 || total > cur_len(&c) || total > MAX_BLOCK) {
            return found > 0; /* truncated or corrupt: stop, keep what was read */
        }
        struct cur blk;
        if (!cur_sub(&c, total, &blk) || !cur_skip(&blk, 8)) {
            return found > 0;
        }
        if (type == BT_DSB) {
            uint32_t stype, slen;
            uint8_t w[4];
            if (!cur_copy(&blk, w, 4)) {
                return found > 0;
            }
            stype = get32(w, swap);
            if (!cur_copy(&blk, w, 4)) {
                return found > 0;
            }
            slen = get32(w, swap);
            const uint8_t *data;
            if (!cur_bytes(&blk, slen, &data)) {
                return found > 0;
            }
            fn(user, stype, data, slen);
            found++;
        } else if (type != BT_SHB && type != BT_IDB && type != 0x00000004u /* NRB */ &&
                   type != 0x00000005u /* ISB */) {
            break; /* the first packet (or anything else): secrets come before it */
        }
    }
    return found > 0;
}

/* Reads the file's blocks up to the first one that is neither a section or interface header
 * nor a secrets block, whole, into head: only the head of the file, never its packets. */
static void read_head(FILE *f, GByteArray *head)
{
    bool swap = false;
    uint8_t h[12];
    while (head->len < MAX_BLOCK && fread(h, 1, 8, f) == 8) {
        uint32_t type = get32(h, false);
        if (head->len == 0) {
            if (type != BT_SHB || fread(h + 8, 1, 4, f) != 4) {
                return; /* not pcapng */
            }
            swap = get32(h + 8, false) != BOM;
        }
        type = get32(h, swap);
        uint32_t total = get32(h + 4, swap);
        if (type != BT_SHB && type != BT_IDB && type != BT_DSB && type != 0x00000004u &&
            type != 0x00000005u) {
            return;
        }
        size_t have = head->len == 0 ? 12 : 8;
        if (total < 12 || total % 4 != 0 || total > MAX_BLOCK - head->len) {
            return;
        }
        if (type == BT_SHB && head->len > 0) {
            /* A new section of the same byte order (one of the other order does not read as
             * a header block above, and the head ends there; editcap writes one section). */
            if (fread(h + 8, 1, 4, f) != 4) {
                return;
            }
            have = 12;
        }
        g_byte_array_append(head, h, (guint)have);
        size_t old = head->len;
        g_byte_array_set_size(head, (guint)(old + total - have));
        if (fread(head->data + old, 1, total - have, f) != total - have) {
            g_byte_array_set_size(head, (guint)old);
            return;
        }
    }
}

bool cap_pcapng_secrets(const char *path, cap_secrets_fn fn, void *user, GError **error)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", path,
                    g_strerror(errno));
        return false;
    }
    GByteArray *head = g_byte_array_new();
    read_head(f, head);
    fclose(f);
    cap_pcapng_secrets_mem(head->data, head->len, fn, user);
    g_byte_array_free(head, TRUE);
    return true;
}
