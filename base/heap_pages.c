/* See heap_pages.h. */
#include <malloc.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "heap_pages.h"

#define HUGE_PAGE (2u << 20) /* x86-64 and arm64 with 4 KB base pages */
/* The heap grows by at least this much at a time (address space, not memory: a page is only
 * made when touched), so advice follows it in few steps. */
#define HEAP_STEP (32u << 20)
/* Kept at the top of the heap rather than given back: a burst of flows ends and the next one
 * needs the pages again, and faulting them in (huge or not) is what this is here to save. */
#define HEAP_KEEP (256u << 20)
/* Tables up to this size come from the heap, so they get huge pages too (glibc maps larger
 * allocations on their own). */
#define HEAP_MMAP_ABOVE (32u << 20)

static char *advised_from, *advised_end;

/* The start of the huge page p lies in (pointer arithmetic: no integer becomes a pointer). */
static char *round_down(char *p)
{
    return p - ((uintptr_t)p & (HUGE_PAGE - 1));
}

void heap_pages_init(void)
{
    (void)mallopt(M_TOP_PAD, HEAP_STEP);
    (void)mallopt(M_TRIM_THRESHOLD, HEAP_KEEP);
    (void)mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_ABOVE);
    /* Only whole huge pages can be backed by one; the first partial one is left as it is. */
    advised_from = advised_end = round_down((char *)sbrk(0) + HUGE_PAGE - 1);
    (void)heap_pages_update();
}

size_t heap_pages_update(void)
{
    char *end = round_down((char *)sbrk(0));
    if (advised_end != NULL && end > advised_end) {
        /* A failure (no THP in this kernel, or the range is not the heap) costs nothing. */
        (void)madvise(advised_end, (size_t)(end - advised_end), MADV_HUGEPAGE);
        advised_end = end;
    }
    return (size_t)(advised_end - advised_from);
}
