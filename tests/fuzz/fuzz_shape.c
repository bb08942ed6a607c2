/* Fuzz target: cls_shape_append, the hello-segment shapes behind reused nDPI verdicts, on two
 * consecutive segments of one direction (the first byte says where the input is split), so the
 * state carried between segments (after change_cipher_spec, a certificate seen) is exercised. */
#include <stddef.h>
#include <stdint.h>

#include "classify_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    size_t n = size - 1;
    size_t cut = n == 0 ? 0 : (size_t)data[0] * n / 255;
    struct cls_shape_dir st = {0};
    GByteArray *out = g_byte_array_new();
    if (cls_shape_append(data + 1, cut, &st, out)) {
        (void)cls_shape_append(data + 1 + cut, n - cut, &st, out);
    }
    g_byte_array_free(out, TRUE);
    return 0;
}
