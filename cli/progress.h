/* Progress of a file replay on stderr: bytes and packets read of the total, rate, time left.
 * Only drawn when stderr is a terminal and -q was not given. */
#ifndef TLSSCOPE_CLI_PROGRESS_H
#define TLSSCOPE_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "capture.h"

struct progress {
    bool enabled;
    int64_t start_us;
    int64_t last_draw_us;
    bool drawn;
};

void progress_init(struct progress *pr, bool enabled);
/* progress_update: redraws at most a few times a second. */
void progress_update(struct progress *pr, struct cap_source *src);
/* progress_clear: erases the line before other output. */
void progress_clear(struct progress *pr);

#endif
