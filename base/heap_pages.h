/* The heap on transparent huge pages. tlsscope's state is tens of thousands of small blocks
 * (flows, TLS states, classifications, the session-origin table) read in no useful order, so
 * with 4 KB pages a busy capture pays page faults and TLB misses for them (bench/RESULTS.md). glibc
 * backs its heap with huge pages when the process starts with
 * GLIBC_TUNABLES=glibc.malloc.hugetlb=1; a program cannot set that for itself, so this does
 * what the tunable does: glibc grows the heap in large steps and keeps what it has, and the
 * heap's new extent is advised (MADV_HUGEPAGE) as it grows. Where the kernel has no
 * transparent huge pages, or the heap is not where glibc's brk puts it (a sanitizer's
 * allocator), nothing changes but the growth steps. */
#ifndef TLSSCOPE_CLI_HEAP_PAGES_H
#define TLSSCOPE_CLI_HEAP_PAGES_H

#include <stddef.h>

/* heap_pages_init: once, before the capture: the growth policy, and the heap so far advised. */
void heap_pages_init(void);
/* heap_pages_update: advises what the heap grew by since the last call; cheap enough to call
 * every few thousand packets. Returns the bytes advised in all so far. */
size_t heap_pages_update(void);

#endif
