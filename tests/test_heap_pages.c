/* base/heap_pages.c: as the heap grows, its new whole huge pages are advised (the kernel marks
 * the range "hg" in /proc/self/smaps), and what was advised stays advised. Skipped where the
 * kernel takes no MADV_HUGEPAGE, or under a sanitizer (its allocator is not glibc's heap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <glib.h>

#include "heap_pages.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

static bool kernel_takes_advice(void)
{
    size_t n = 4u << 20;
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    bool ok = madvise(p, n, MADV_HUGEPAGE) == 0;
    munmap(p, n);
    return ok;
}

/* Bytes of the [heap] mapping(s) whose VmFlags carry "hg". */
static size_t heap_bytes_advised(void)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);
    char line[512];
    bool in_heap = false;
    size_t start = 0, end = 0, total = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long a, b;
        if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in_heap = strstr(line, "[heap]") != NULL;
            start = a;
            end = b;
        } else if (in_heap && strncmp(line, "VmFlags:", 8) == 0 && strstr(line, " hg") != NULL) {
            total += end - start;
        }
    }
    fclose(f);
    return total;
}

static void test_growth_is_advised(void **state)
{
    (void)state;
#ifdef UNDER_SANITIZER
    skip();
#endif
    if (!kernel_takes_advice()) {
        skip();
    }
    heap_pages_init();
    size_t before = heap_pages_update();
    /* 48 MB in blocks of the size of a flow's state: the heap grows past several huge pages. */
    enum { BLOCKS = 12288, SIZE = 4096 };
    void **blocks = g_new(void *, BLOCKS);
    for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = malloc(SIZE);
        assert_non_null(blocks[i]);
        memset(blocks[i], 0x5a, SIZE);
    }
    size_t after = heap_pages_update();
    assert_true(after >= before + (40u << 20));
    assert_true(heap_bytes_advised() >= after);
    /* Freed and allocated again: nothing is given back, the advice stays. */
    for (int i = 0; i < BLOCKS; i++) {
        free(blocks[i]);
    }
    assert_int_equal(heap_pages_update(), after);
    assert_true(heap_bytes_advised() >= after);
    g_free(blocks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_growth_is_advised)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
