/* Software prefetch of a block, for state that is known to be read soon after a long wait
 * (flows about to expire). A hint only: no effect on results, none on a compiler without the
 * builtin. Header-only. */
#ifndef TLSSCOPE_PREFETCH_H
#define TLSSCOPE_PREFETCH_H

#include <stddef.h>

#define CACHE_LINE_BYTES 64u

/* prefetch_block: asks for every cache line of [p, p + n) (p may be NULL). */
static inline void prefetch_block(const void *p, size_t n)
{
#if defined(__GNUC__)
    if (p == NULL || n == 0) {
        return;
    }
    /* Steps of a line from p reach every line the block touches but perhaps the last one,
     * which its last byte names. GCC 12 folds a loop of prefetches with a constant trip count
     * (an inlined sizeof) into its first prefetch alone; the empty asm hides n's value. */
    __asm__ volatile("" : "+r"(n));
    const char *c = (const char *)p;
    for (size_t off = 0; off < n; off += CACHE_LINE_BYTES) {
        __builtin_prefetch(c + off);
    }
    __builtin_prefetch(c + n - 1);
#else
    (void)p;
    (void)n;
#endif
}

#endif
