/* Internal to classify/: the classifier's table of remembered verdicts. */
#ifndef TLSSCOPE_CLASS_MEMO_H
#define TLSSCOPE_CLASS_MEMO_H

#include "classify_internal.h"

struct cls_memo;

struct cls_memo *cls_memo_new(size_t cap);
void cls_memo_free(struct cls_memo *m);
/* cls_memo_find: the verdict stored under key, or NULL. */
const struct cls_verdict *cls_memo_find(const struct cls_memo *m,
                                                    const uint8_t key[CLS_MEMO_KEY_LEN]);
/* cls_memo_store: keeps a copy of v under key, replacing the oldest entry when full. */
void cls_memo_store(struct cls_memo *m, const uint8_t key[CLS_MEMO_KEY_LEN],
                          const struct cls_verdict *v);
size_t cls_memo_size(const struct cls_memo *m);

#endif
