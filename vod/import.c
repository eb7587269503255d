/* SPDX-License-Identifier: Apache-2.0 */
/*
 * import.c — getting media into the library: resumable chunked uploads
 * over HTTP, server-side imports from [vod] import_dir, and the probe that
 * decides whether a file is a playable video at all.
 *
 * Upload protocol (administrators):
 *   POST   /api/v1/uploads {filename, size}          → 201 {id, received: 0}
 *   PUT    /api/v1/uploads/{id}?offset=N  (bytes)    → 200 {received}
 *   GET    /api/v1/uploads/{id}                      → {received} (to resume)
 *   POST   /api/v1/uploads/{id}/complete {course_id, title, …} → 202 lesson
 *   DELETE /api/v1/uploads/{id}                      → 204
 * A PUT must start exactly at the received offset (else 409 naming it);
 * the chunk is written and fdatasync'ed before the offset advances in the
 * database, so after a crash the client resumes from a consistent point.
 * Completing probes the file: not a playable video → 422, and the upload
 * is removed — nothing is added. A good file becomes a lesson in status
 * "processing" plus a pending job, atomically.
 */
#include "import.h"
#include "jobs.h"
#include "vod_internal.h"
#include "core/crypto.h"
#include "core/log.h"
#include "core/yj.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Containers a lesson may come in. Playlists (hls), concat lists, image
 * sequences and devices are excluded: they make libavformat open other
 * files or URLs named inside the upload. */
#define SAFE_FORMATS                                                                               \
    "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,asf,wav,mp3,ogg,h264,hevc,m4v,dv"

void yj_vod_import_safe_options(AVDictionary **opts)
{
    av_dict_set(opts, "protocol_whitelist", "file", 0);
    av_dict_set(opts, "format_whitelist", SAFE_FORMATS, 0);
}

/* An audio-only file: a decodable audio stream of a sensible length. */
/* A file is playable only if a frame of stream idx actually decodes:
 * reads up to a bounded number of packets looking for one (frame gets it). */
static bool decodes(AVFormatContext *ic, AVCodecContext *dec, AVPacket *pkt, AVFrame *frame,
                    int idx)
{
    for (int n = 0; n < 2000; n++) {
        int r = av_read_frame(ic, pkt);
        if (r < 0) {
            avcodec_send_packet(dec, NULL);
        } else if (pkt->stream_index != idx) {
            av_packet_unref(pkt);
            continue;
        } else {
            avcodec_send_packet(dec, pkt);
            av_packet_unref(pkt);
        }
        if (avcodec_receive_frame(dec, frame) == 0)
            return true;
        if (r < 0)
            return false;
    }
    return false;
}

static int probe_audio(AVFormatContext *ic, yj_vod_import_probe_t *p, char *err, size_t errlen)
{
    int aidx = av_find_best_stream(ic, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
    if (aidx < 0) {
        g_snprintf(err, errlen, "the file has neither video nor audio");
        return YJ_EMEDIA;
    }
    AVStream *as = ic->streams[aidx];
    as->discard = AVDISCARD_DEFAULT;
    const AVCodec *c = avcodec_find_decoder(as->codecpar->codec_id);
    if (!c) {
        g_snprintf(err, errlen, "no decoder for the audio codec %s",
                   avcodec_get_name(as->codecpar->codec_id));
        return YJ_EMEDIA;
    }
    AVCodecContext *dec = avcodec_alloc_context3(c);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    int rc = YJ_EMEDIA;
    avcodec_parameters_to_context(dec, as->codecpar);
    dec->pkt_timebase = as->time_base;
    int r = avcodec_open2(dec, c, NULL);
    if (r < 0) {
        g_snprintf(err, errlen, "cannot open the audio decoder (%s)", av_err2str(r));
        goto out;
    }
    if (!decodes(ic, dec, pkt, frame, aidx)) {
        g_snprintf(err, errlen, "no audio could be decoded: the file is damaged");
        goto out;
    }
    int64_t d = ic->duration;
    if (d <= 0 && as->duration > 0)
        d = av_rescale_q(as->duration, as->time_base, AV_TIME_BASE_Q);
    p->duration_ms = d > 0 ? d / 1000 : 0;
    if (p->duration_ms < 500 || p->duration_ms > 12LL * 3600 * 1000) {
        g_snprintf(err, errlen, "the audio is shorter than half a second or longer than 12 hours");
        goto out;
    }
    p->audio_only = p->has_audio = true;
    g_strlcpy(p->video_codec, "", sizeof p->video_codec);
    g_strlcpy(p->format, ic->iformat->name, sizeof p->format);
    rc = 0;
out:
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    return rc;
}

static int probe(const char *path, bool allow_audio, yj_vod_import_probe_t *p, char *err,
                 size_t errlen)
{
    memset(p, 0, sizeof *p);
    AVFormatContext *ic = NULL;
    AVCodecContext *dec = NULL;
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    AVDictionary *opts = NULL;
    yj_vod_import_safe_options(&opts);
    int rc = YJ_EMEDIA;
    int r = avformat_open_input(&ic, path, NULL, &opts);
    av_dict_free(&opts);
    if (r < 0) {
        g_snprintf(err, errlen, "not a video file we can read (%s)", av_err2str(r));
        goto out;
    }
    if ((r = avformat_find_stream_info(ic, NULL)) < 0) {
        g_snprintf(err, errlen, "cannot read the file's streams (%s)", av_err2str(r));
        goto out;
    }
    int vidx = -1;
    for (unsigned i = 0; i < ic->nb_streams; i++) {
        AVStream *st = ic->streams[i];
        if (vidx < 0 && st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO &&
            !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
            vidx = (int)i;
        else
            st->discard = AVDISCARD_ALL;
    }
    if (vidx < 0 && allow_audio) {
        rc = probe_audio(ic, p, err, errlen);
        goto out;
    }
    if (vidx < 0) {
        g_snprintf(err, errlen, "the file has no video");
        goto out;
    }
    AVStream *vs = ic->streams[vidx];
    const AVCodec *c = avcodec_find_decoder(vs->codecpar->codec_id);
    if (!c) {
        g_snprintf(err, errlen, "no decoder for the video codec %s",
                   avcodec_get_name(vs->codecpar->codec_id));
        goto out;
    }
    dec = avcodec_alloc_context3(c);
    avcodec_parameters_to_context(dec, vs->codecpar);
    dec->pkt_timebase = vs->time_base;
    if ((r = avcodec_open2(dec, c, NULL)) < 0) {
        g_snprintf(err, errlen, "cannot open the video decoder (%s)", av_err2str(r));
        goto out;
    }
    if (!decodes(ic, dec, pkt, frame, vidx)) {
        g_snprintf(err, errlen, "no video frame could be decoded: the file is damaged");
        goto out;
    }
    p->width = frame->width;
    p->height = frame->height;
    if (p->width < 16 || p->height < 16) {
        g_snprintf(err, errlen, "the video is too small (%dx%d)", p->width, p->height);
        goto out;
    }
    int64_t d = ic->duration;
    if (d <= 0 && vs->duration > 0)
        d = av_rescale_q(vs->duration, vs->time_base, AV_TIME_BASE_Q);
    p->duration_ms = d > 0 ? d / 1000 : 0;
    if (p->duration_ms < 500) {
        g_snprintf(err, errlen, "the video is shorter than half a second or has no length");
        goto out;
    }
    if (p->duration_ms > 12LL * 3600 * 1000) {
        g_snprintf(err, errlen, "the video is longer than 12 hours");
        goto out;
    }
    p->has_audio = av_find_best_stream(ic, AVMEDIA_TYPE_AUDIO, -1, vidx, NULL, 0) >= 0;
    g_strlcpy(p->video_codec, avcodec_get_name(vs->codecpar->codec_id), sizeof p->video_codec);
    g_strlcpy(p->format, ic->iformat->name, sizeof p->format);
    rc = 0;
out:
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&ic);
    return rc;
}

int yj_vod_import_probe(const char *path, yj_vod_import_probe_t *p, char *err, size_t errlen)
{
    return probe(path, false, p, err, errlen);
}

int yj_vod_import_probe_media(const char *path, yj_vod_import_probe_t *p, char *err, size_t errlen)
{
    return probe(path, true, p, err, errlen);
}

/* ------------------------------------------------------------------ */
/* uploads */

static const char *jstr(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *upload_path(yj_vod_t *v, const char *id)
{
    g_autofree char *name = g_strconcat(id, ".part", NULL);
    return g_build_filename(v->uploads_dir, name, NULL);
}

static json_t *upload_json(const yj_vod_upload_t *u, size_t chunk_max)
{
    return json_pack("{s:s,s:s,s:I,s:I,s:I,s:b}", "id", u->id, "filename", u->filename, "size",
                     (json_int_t)u->size, "received", (json_int_t)u->received, "chunk_max",
                     (json_int_t)chunk_max, "complete", u->received == u->size);
}

/* The upload if it exists and belongs to the calling administrator;
 * otherwise queues 404. */
static int own_upload(yj_vod_t *v, yj_req_t *req, yj_vod_upload_t *u)
{
    const char *id = yj_req_param(req, "id");
    bool ok = id && strlen(id) < sizeof u->id && yj_store_vod_upload_get(v->store, id, u) == 0 &&
              u->admin_id == yj_req_principal(req)->admin_id;
    if (!ok) {
        yj_req_reply_error(req, 404, "not_found", "id", "no such upload");
        return YJ_ENOENT;
    }
    return 0;
}

/* POST /api/v1/uploads {filename, size} */
static int upload_create(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    json_t *size = json_object_get(b, "size");
    json_int_t n = json_is_integer(size) ? json_integer_value(size) : 0;
    if (n <= 0 || n > v->max_upload)
        return yj_req_reply_error(req, 400, "invalid_size", "size",
                                  "size is the file's length in bytes, 1 to %" G_GINT64_FORMAT,
                                  v->max_upload);
    const char *fn = jstr(b, "filename");
    if (fn && (strlen(fn) > 255 || !g_utf8_validate(fn, -1, NULL)))
        return yj_req_reply_error(req, 400, "invalid_filename", "filename",
                                  "filename is at most 255 bytes of UTF-8");
    g_autofree char *id = yj_random_token(18);
    if (!id)
        return YJ_ECRYPTO;
    /* The file exists from the start (empty) so a sweep never races. */
    g_autofree char *path = upload_path(v, id);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return YJ_EIO;
    close(fd);
    int rc = yj_store_vod_upload_add(v->store, id, yj_req_principal(req)->admin_id, fn, n);
    if (rc) {
        g_unlink(path);
        return rc;
    }
    yj_vod_upload_t u;
    if (yj_store_vod_upload_get(v->store, id, &u))
        return YJ_EDB;
    g_autofree char *loc = g_strconcat("/api/v1/uploads/", id, NULL);
    yj_req_add_header(req, "Location", loc);
    return yj_req_reply_json(req, 201, upload_json(&u, v->chunk_max));
}

/* GET /api/v1/uploads/{id} */
static int upload_get(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    yj_vod_upload_t u;
    if (own_upload(v, req, &u))
        return 0;
    return yj_req_reply_json(req, 200, upload_json(&u, v->chunk_max));
}

static bool claim(yj_vod_t *v, const char *id)
{
    g_mutex_lock(&v->lock);
    bool ok = !g_hash_table_contains(v->busy_uploads, id);
    if (ok)
        g_hash_table_add(v->busy_uploads, g_strdup(id));
    g_mutex_unlock(&v->lock);
    return ok;
}

static void release(yj_vod_t *v, const char *id)
{
    g_mutex_lock(&v->lock);
    g_hash_table_remove(v->busy_uploads, id);
    g_mutex_unlock(&v->lock);
}

int yj_vod_import_parse_offset(const char *s, int64_t *off)
{
    char *end = NULL;
    long long v = s && *s >= '0' && *s <= '9' ? strtoll(s, &end, 10) : -1;
    if (v < 0 || !end || *end)
        return YJ_EINVAL;
    *off = v;
    return 0;
}

int yj_vod_import_check_chunk(int64_t off, size_t len, int64_t received, int64_t size)
{
    if (off != received)
        return YJ_ESTATE;
    if (received < 0 || received > size || len > (uint64_t)(size - received))
        return YJ_EINVAL;
    return 0;
}

/* PUT /api/v1/uploads/{id}?offset=N — body: the next bytes */
static int upload_put(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    yj_vod_upload_t u;
    if (own_upload(v, req, &u))
        return 0;
    int64_t off = 0;
    if (yj_vod_import_parse_offset(yj_req_query(req, "offset"), &off))
        return yj_req_reply_error(req, 400, "invalid_offset", "offset",
                                  "offset=N (bytes already sent) is required");
    size_t len = 0;
    const void *data = yj_req_body(req, &len);
    int chk = yj_vod_import_check_chunk(off, len, u.received, u.size);
    if (chk == YJ_ESTATE) {
        json_t *e = json_pack("{s:{s:s,s:s,s:s,s:I}}", "error", "code", "offset_mismatch", "field",
                              "offset", "message", "the upload continues from the received offset",
                              "received", (json_int_t)u.received);
        return yj_req_reply_json(req, 409, e);
    }
    if (chk)
        return yj_req_reply_error(
            req, 400, "too_much_data", "body",
            "the chunk goes past the declared size (%" G_GINT64_FORMAT " bytes)", u.size);
    if (!claim(v, u.id))
        return yj_req_reply_error(req, 409, "upload_busy", "id",
                                  "another chunk of this upload is being written");
    g_autofree char *path = upload_path(v, u.id);
    int rc = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        rc = YJ_EIO;
    size_t done = 0;
    while (rc == 0 && done < len) {
        ssize_t w = pwrite(fd, (const char *)data + done, len - done, (off_t)(off + done));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = YJ_EIO;
        else
            done += (size_t)w;
    }
    /* Bytes past the new end (a crashed earlier attempt) are dropped, and
     * the data is on disk before the database says it is. */
    if (rc == 0 && (ftruncate(fd, (off_t)(off + len)) != 0 || fdatasync(fd) != 0))
        rc = YJ_EIO;
    if (fd >= 0)
        close(fd);
    if (rc == 0)
        rc = yj_store_vod_upload_advance(v->store, u.id, off, off + (int64_t)len);
    release(v, u.id);
    if (rc == YJ_ESTATE)
        return yj_req_reply_error(req, 409, "offset_mismatch", "offset",
                                  "the upload moved on meanwhile; GET it for the offset");
    if (rc)
        return rc;
    u.received = off + (int64_t)len;
    return yj_req_reply_json(req, 200, upload_json(&u, v->chunk_max));
}

/* DELETE /api/v1/uploads/{id} */
static int upload_delete(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    yj_vod_upload_t u;
    if (own_upload(v, req, &u))
        return 0;
    int rc = yj_store_vod_upload_delete(v->store, u.id);
    if (rc)
        return rc;
    g_autofree char *path = upload_path(v, u.id);
    g_unlink(path);
    return yj_req_reply_data(req, 204, NULL, "", 0);
}

/* Creates the lesson for an already probed file and queues its job;
 * replies 202 with the lesson. */
static int create_lesson(yj_vod_t *v, yj_req_t *req, json_t *b, const char *source, bool owned,
                         const char *upload_id, const yj_vod_import_probe_t *p)
{
    json_t *cid = json_object_get(b, "course_id");
    yj_vod_course_t c;
    if (yj_vod_course_for_admin(v, req, json_is_integer(cid) ? json_integer_value(cid) : 0, &c))
        return 0;
    yj_vod_lesson_spec_t spec;
    if (yj_vod_lesson_spec(v, req, b, true, &spec)) {
        yj_vod_course_clear(&c);
        return 0;
    }
    yj_vod_lesson_new_t in = {
        .course_id = c.id,
        .title = spec.title,
        .minutes = spec.minutes,
        .threshold = spec.threshold,
        .org_ids = spec.org_ids,
        .n_orgs = spec.n_orgs,
        .source = source,
        .owned = owned,
        .upload_id = upload_id,
    };
    int64_t lesson = 0, job = 0;
    int rc = yj_store_vod_lesson_create(v->store, &in, &lesson, &job);
    g_free(spec.org_ids);
    yj_vod_course_clear(&c);
    if (rc == YJ_ENOENT)
        return yj_req_reply_error(req, 404, "not_found", upload_id ? "id" : "course_id",
                                  "the course or upload is gone");
    if (rc)
        return rc;
    yj_vod_jobs_push(v, job);
    yj_info("vod", "lesson %" G_GINT64_FORMAT " created from %s (%s %s %dx%d, %.1f s)", lesson,
            source, p->format, p->video_codec, p->width, p->height, (double)p->duration_ms / 1000);
    char loc[64];
    g_snprintf(loc, sizeof loc, "/api/v1/lessons/%" G_GINT64_FORMAT, lesson);
    yj_req_add_header(req, "Location", loc);
    return yj_req_reply_json(
        req, 202,
        json_pack("{s:I,s:I,s:s,s:i,s:f,s:{s:i,s:i,s:b,s:s,s:s}}", "id", (json_int_t)lesson,
                  "course_id", (json_int_t)in.course_id, "status", "processing", "percent", 0,
                  "duration", (double)p->duration_ms / 1000, "source", "width", p->width, "height",
                  p->height, "audio", p->has_audio, "codec", p->video_codec, "format", p->format));
}

/* POST /api/v1/uploads/{id}/complete {course_id, title, hours, …} */
static int upload_complete(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    yj_vod_upload_t u;
    if (own_upload(v, req, &u))
        return 0;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    if (u.received != u.size) {
        json_t *e = json_pack("{s:{s:s,s:s,s:s,s:I,s:I}}", "error", "code", "upload_incomplete",
                              "field", "id", "message", "the upload is not complete yet",
                              "received", (json_int_t)u.received, "size", (json_int_t)u.size);
        return yj_req_reply_json(req, 409, e);
    }
    /* Validate the metadata before the (slower) probe. */
    json_t *cid = json_object_get(b, "course_id");
    yj_vod_course_t c;
    if (yj_vod_course_for_admin(v, req, json_is_integer(cid) ? json_integer_value(cid) : 0, &c))
        return 0;
    yj_vod_course_clear(&c);
    yj_vod_lesson_spec_t spec;
    if (yj_vod_lesson_spec(v, req, b, true, &spec))
        return 0;
    g_free(spec.org_ids);
    g_autofree char *path = upload_path(v, u.id);
    yj_vod_import_probe_t p;
    char err[256];
    if (yj_vod_import_probe(path, &p, err, sizeof err) != 0) {
        /* Nothing is added: the upload and its bytes go. */
        yj_store_vod_upload_delete(v->store, u.id);
        g_unlink(path);
        yj_info("vod", "upload %s (%s) refused: %s", u.id, u.filename, err);
        return yj_req_reply_error(req, 422, "not_a_video", "file", "%s", err);
    }
    return create_lesson(v, req, b, path, true, u.id, &p);
}

/* POST /api/v1/lessons/import {path, course_id, title, …} — bulk loading
 * from files already on the server, inside [vod] import_dir only. */
static int import_path(yj_req_t *req, void *ud)
{
    yj_vod_t *v = ud;
    json_t *b = yj_req_json_body(req);
    if (!b)
        return 0;
    if (!v->import_dir)
        return yj_req_reply_error(req, 403, "import_disabled", "path",
                                  "server-side import is off: set [vod] import_dir");
    const char *rel = jstr(b, "path");
    if (!rel || !*rel || strlen(rel) > 1024)
        return yj_req_reply_error(req, 400, "invalid_path", "path",
                                  "path of a file inside the import folder is required");
    g_autofree char *joined =
        g_path_is_absolute(rel) ? g_strdup(rel) : g_build_filename(v->import_dir, rel, NULL);
    char *real = realpath(joined, NULL);
    size_t n = strlen(v->import_dir);
    bool inside = real && strncmp(real, v->import_dir, n) == 0 && real[n] == '/';
    struct stat st;
    if (!inside || stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(real);
        return yj_req_reply_error(req, 404, "not_found", "path",
                                  "no such file in the import folder");
    }
    g_autofree char *source = g_strdup(real);
    free(real);
    json_t *cid = json_object_get(b, "course_id");
    yj_vod_course_t c;
    if (yj_vod_course_for_admin(v, req, json_is_integer(cid) ? json_integer_value(cid) : 0, &c))
        return 0;
    yj_vod_course_clear(&c);
    yj_vod_import_probe_t p;
    char err[256];
    if (yj_vod_import_probe(source, &p, err, sizeof err) != 0)
        return yj_req_reply_error(req, 422, "not_a_video", "path", "%s", err);
    return create_lesson(v, req, b, source, false, NULL, &p);
}

int yj_vod_import_register(yj_vod_t *v, yj_http_t *http)
{
    int rc = 0;
    rc |= yj_http_route(http, "POST", "/api/v1/uploads", YJ_ROUTE_ADMIN, 0, upload_create, v);
    rc |= yj_http_route(http, "GET", "/api/v1/uploads/{id}", YJ_ROUTE_ADMIN, 0, upload_get, v);
    rc |= yj_http_route(http, "PUT", "/api/v1/uploads/{id}", YJ_ROUTE_ADMIN, v->chunk_max,
                        upload_put, v);
    rc |=
        yj_http_route(http, "DELETE", "/api/v1/uploads/{id}", YJ_ROUTE_ADMIN, 0, upload_delete, v);
    rc |= yj_http_route(http, "POST", "/api/v1/uploads/{id}/complete", YJ_ROUTE_ADMIN, 0,
                        upload_complete, v);
    rc |= yj_http_route(http, "POST", "/api/v1/lessons/import", YJ_ROUTE_ADMIN, 0, import_path, v);
    return rc ? YJ_EINVAL : 0;
}
