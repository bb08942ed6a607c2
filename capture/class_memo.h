/* Internal to capture/: the classifier's table of remembered verdicts. */
#ifndef TLSSCOPE_CLASS_MEMO_H
#define TLSSCOPE_CLASS_MEMO_H

#include "capture.h"

struct cap_class_memo;

struct cap_class_memo *cap_class_memo_new(size_t cap);
void cap_class_memo_free(struct cap_class_memo *m);
/* cap_class_memo_find: the verdict stored under key, or NULL. */
const struct cap_class_verdict *cap_class_memo_find(const struct cap_class_memo *m,
                                                    const uint8_t key[CAP_MEMO_KEY_LEN]);
/* cap_class_memo_store: keeps a copy of v under key, replacing the oldest entry when full. */
void cap_class_memo_store(struct cap_class_memo *m, const uint8_t key[CAP_MEMO_KEY_LEN],
                          const struct cap_class_verdict *v);
size_t cap_class_memo_size(const struct cap_class_memo *m);

#endif
