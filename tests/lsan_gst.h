/* SPDX-License-Identifier: Apache-2.0 */
/*
 * lsan_gst.h — for test programs that run GStreamer text rendering
 * (recording tiles, IPTV slates) under LeakSanitizer. Include it once, in
 * the file that holds main().
 *
 * What GLib's and fontconfig's own initialisers keep for the life of the
 * process is not ours to free: GLib's first quark block (allocated by its
 * constructor, abandoned by design once GStreamer's quarks outgrow it) and
 * fontconfig's configuration (pango loads it for the labels). Matching the
 * constructor needs full stacks at malloc. Everything else still counts.
 */
#ifndef YJ_TESTS_LSAN_GST_H
#define YJ_TESTS_LSAN_GST_H

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libfontconfig.so\nleak:_dl_init\n";
}

#endif
