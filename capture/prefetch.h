/* Software prefetch of a block, for state that is known to be read soon after a long wait
 * (flows about to expire). A hint only: no effect on results, none on a compiler without the
 * builtin. Header-only. */
#ifndef TLSSCOPE_PREFETCH_H
#define TLSSCOPE_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#define CAP_CACHE_LINE 64u

/* cap_prefetch: asks for every cache line of [p, p + n) (p may be NULL). */
static inline void cap_prefetch(const void *p, size_t n)
{
#if defined(__GNUC__)
    if (p == NULL || n == 0) {
        return;
    }
    /* From p's line to the line of its last byte: step back to the line start by offset
     * rather than casting an integer to a pointer. */
    const char *c = (const char *)p;
    const char *a = c - ((uintptr_t)c & (CAP_CACHE_LINE - 1));
    for (; a < c + n; a += CAP_CACHE_LINE) {
        __builtin_prefetch(a);
    }
#else
    (void)p;
    (void)n;
#endif
}

#endif
