/* Terminal progress line for offline replays. */
#include <stdio.h>

#include "progress.h"

#define PROGRESS_INTERVAL_US 250000

void progress_init(struct progress *pr, bool enabled)
{
    pr->enabled = enabled;
    pr->start_us = g_get_monotonic_time();
    pr->last_draw_us = 0;
    pr->drawn = false;
}

void progress_update(struct progress *pr, struct cap_source *src)
{
    if (!pr->enabled) {
        return;
    }
    int64_t now = g_get_monotonic_time();
    if (now - pr->last_draw_us < PROGRESS_INTERVAL_US) {
        return;
    }
    pr->last_draw_us = now;
    struct cap_source_stats st;
    cap_source_get_stats(src, &st);
    double elapsed = (double)(now - pr->start_us) / 1e6;
    double mb = (double)st.file_bytes_read / 1e6;
    double rate = elapsed > 0 ? mb / elapsed : 0;
    if (st.file_bytes_total > 0) {
        double total = (double)st.file_bytes_total / 1e6;
        double pct = 100.0 * mb / total;
        double left = rate > 0 ? (total - mb) / rate : 0;
        fprintf(stderr, "\r\033[K%.1f of %.1f MB (%.0f%%), %llu packets, %.1f MB/s, %.0f s left",
                mb, total, pct, (unsigned long long)st.packets, rate, left);
    } else {
        fprintf(stderr, "\r\033[K%.1f MB, %llu packets, %.1f MB/s", mb,
                (unsigned long long)st.packets, rate);
    }
    pr->drawn = true;
}

void progress_clear(struct progress *pr)
{
    if (pr->drawn) {
        fputs("\r\033[K", stderr);
        pr->drawn = false;
    }
}
