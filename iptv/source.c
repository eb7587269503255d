/* SPDX-License-Identifier: Apache-2.0 */
/*
 * source.c — the generic face of an IPTV source (see source.h): a vtable
 * and its implementation pointer. Owns nothing but the wrapper.
 */
#include "iptv/source.h"
#include "core/yj.h"

#include <glib.h>

struct yj_iptv_src {
    const yj_iptv_src_ops_t *ops;
    void *impl;
};

yj_iptv_src_t *yj_iptv_src_wrap(const yj_iptv_src_ops_t *ops, void *impl)
{
    yj_iptv_src_t *s = g_new0(yj_iptv_src_t, 1);
    s->ops = ops;
    s->impl = impl;
    return s;
}

int yj_iptv_src_read(yj_iptv_src_t *s, yj_iptv_au_t *au)
{
    if (!s)
        return YJ_EINVAL;
    return s->ops->read(s->impl, au);
}

void yj_iptv_src_free(yj_iptv_src_t *s)
{
    if (!s)
        return;
    s->ops->free(s->impl);
    g_free(s);
}
