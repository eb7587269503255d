/* SPDX-License-Identifier: Apache-2.0 */
/*
 * store_demo.c — the demo organisation's rows; see demo.h. A store file
 * (it writes SQL), so it lives beside the other store*.c files.
 *
 * Members' identity numbers are written as their first 17 digits; the check
 * character is computed at seed time (idnum.h), so every demo number is
 * valid by construction and goes through the same field validation as an
 * import. Every demo member signs in with YJ_DEMO_PASSWORD.
 */
#include "demo.h"
#include "crypto.h"
#include "idnum.h"
#include "log.h"
#include "member_input.h"
#include "store_records.h"
#include "yj.h"

#include <glib.h>
#include <sqlite3.h>
#include <string.h>

typedef struct {
    const char *code, *name, *parent;
} demo_org_t;

static const demo_org_t orgs[] = {
    {"330100", "城东区委", NULL},
    {"330101", "青山镇党委", "330100"},
    {"330102", "绿水街道党工委", "330100"},
    {"33010101", "青山村党支部", "330101"},
    {"33010102", "竹林村党支部", "330101"},
    {"33010201", "河畔社区党支部", "330102"},
    {"33010202", "新桥社区党支部", "330102"},
};

/* username, org code, real name */
static const char *admins[][3] = {
    {YJ_DEMO_ADMIN, "330100", "陈国强"},
    {"qingshan", "330101", "王丽华"},
    {"lvshui", "330102", "刘志明"},
};

/* first 17 digits of the identity number (17th digit odd: male), name,
 * branch, joined, status, migrant location (NULL: at home), phone */
typedef struct {
    const char *id17, *name, *org, *joined, *status, *location, *phone;
} demo_member_t;

static const demo_member_t members[] = {
    {"33010219560312013", "张建国", "33010101", "1978-07-01", "full", NULL, "13805710001"},
    {"33010219630925024", "李秀英", "33010101", "1985-06-20", "full", NULL, "13805710002"},
    {"33010219780418035", "王志强", "33010101", "2002-07-01", "full", "广东省深圳市",
     "13805710003"},
    {"33010219890102046", "赵丽娟", "33010101", "2012-05-04", "full", NULL, NULL},
    {"33010220000816057", "陈浩", "33010101", "2024-12-01", "probationary", NULL, "13805710005"},
    {"33010219580707061", "刘德华", "33010102", "1980-10-01", "full", NULL, "13805710006"},
    {"33010219671130072", "周桂兰", "33010102", "1990-03-08", "full", NULL, NULL},
    {"33010219820214083", "吴小军", "33010102", "2006-07-01", "full", NULL, "13805710008"},
    {"33010219950521094", "郑雅文", "33010102", "2019-06-30", "full", NULL, "13805710009"},
    {"33010219990909015", "孙磊", "33010102", "2024-03-15", "probationary", NULL, NULL},
    {"33010619540101028", "钱玉梅", "33010201", "1975-07-01", "full", NULL, "13905710011"},
    {"33010619701212039", "冯国平", "33010201", "1996-12-01", "full", NULL, "13905710012"},
    {"33010619850630048", "何静", "33010201", "2008-05-12", "full", NULL, "13905710013"},
    {"33010619910315057", "许文杰", "33010201", "2016-07-01", "full", "江苏省苏州市",
     "13905710014"},
    {"33010620010227066", "马欣怡", "33010201", "2024-01-10", "probationary", NULL, NULL},
    {"33010619601008075", "朱永康", "33010202", "1983-09-15", "full", NULL, "13905710016"},
    {"33010619741123086", "胡晓燕", "33010202", "1999-07-01", "full", NULL, "13905710017"},
    {"33010619860808091", "高明", "33010202", "2010-10-10", "full", NULL, "13905710018"},
    {"33010619930419002", "林婷", "33010202", "2018-04-20", "full", NULL, "13905710019"},
    {"33010619980101013", "罗俊", "33010202", "2024-09-01", "probationary", NULL, NULL},
};

/* member index, kind, source id, minutes, days ago */
typedef struct {
    int member;
    const char *kind, *source;
    int minutes, days_ago;
} demo_credit_t;

/* What a person reads on the record for each demo source (the ledger's
 * reason), as real meetings and lessons write their titles there. */
static const char *demo_title(const char *source)
{
    static const struct {
        const char *source, *title;
    } titles[] = {
        {"demo-meeting-1", "十月支部党员大会"},
        {"demo-meeting-2", "十一月支部党员大会"},
        {"demo-meeting-3", "社区党支部主题党日"},
        {"demo-meeting-4", "党小组学习会"},
        {"demo-lesson-1", "学习党章：总纲"},
        {"demo-lesson-2", "基层党组织工作条例"},
        {"demo-broadcast-1", "县委党课直播（集中收看）"},
        {"demo-manual-1", "志愿服务（补录）"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(titles); i++)
        if (strcmp(source, titles[i].source) == 0)
            return titles[i].title;
    return NULL;
}

static const demo_credit_t credits[] = {
    {0, "meeting", "demo-meeting-1", 90, 40},  {0, "lesson", "demo-lesson-1", 45, 30},
    {0, "lesson", "demo-lesson-2", 30, 12},    {1, "meeting", "demo-meeting-1", 90, 40},
    {2, "meeting", "demo-meeting-1", 90, 40},  {2, "lesson", "demo-lesson-1", 45, 20},
    {3, "lesson", "demo-lesson-2", 30, 5},     {5, "meeting", "demo-meeting-2", 120, 35},
    {6, "meeting", "demo-meeting-2", 120, 35}, {7, "broadcast", "demo-broadcast-1", 60, 25},
    {10, "meeting", "demo-meeting-3", 60, 15}, {11, "meeting", "demo-meeting-3", 60, 15},
    {12, "lesson", "demo-lesson-1", 45, 10},   {13, "lesson", "demo-lesson-1", 45, 9},
    {13, "lesson", "demo-lesson-2", 30, 3},    {15, "meeting", "demo-meeting-4", 90, 8},
    {16, "manual", "demo-manual-1", 120, 7},   {18, "lesson", "demo-lesson-2", 30, 2},
};

static int insert_members(yj_db_t *db, const char *hash, char **ids)
{
    for (size_t i = 0; i < YJ_ARRAY_LEN(members); i++) {
        const demo_member_t *m = &members[i];
        char id[19];
        memcpy(id, m->id17, 17);
        id[17] = yj_idnum_check_char(m->id17);
        id[18] = 0;
        yj_member_input_t in;
        yj_field_error_t e;
        memset(&in, 0, sizeof in);
        int rc = yj_member_input_set(&in, YJ_MF_ID_NUMBER, id, &e);
        rc = rc ? rc : yj_member_input_set(&in, YJ_MF_NAME, m->name, &e);
        rc = rc ? rc : yj_member_input_set(&in, YJ_MF_JOINED_ON, m->joined, &e);
        rc = rc ? rc : yj_member_input_set(&in, YJ_MF_STATUS, m->status, &e);
        rc = rc ? rc : yj_member_input_set(&in, YJ_MF_MIGRANT, m->location ? "1" : "0", &e);
        rc = rc ? rc : yj_member_input_set(&in, YJ_MF_LOCATION, m->location, &e);
        rc = rc ? rc : yj_member_input_set(&in, YJ_MF_PHONE, m->phone, &e);
        rc = rc ? rc : yj_member_input_finish(&in, true, &e);
        if (rc) {
            yj_error("demo", "demo member %zu: %s: %s", i, e.field, e.message);
            return rc;
        }
        yj_org_t org;
        if ((rc = yj_org_by_code(db, m->org, NULL, &org)) ||
            (rc = yj_records_member_insert(db, &in, org.id, hash)))
            return rc;
        ids[i] = g_strdup(id);
    }
    int64_t now = yj_now(), year0 = yj_year_start(yj_year_of(now));
    for (size_t i = 0; i < YJ_ARRAY_LEN(credits); i++) {
        const demo_credit_t *c = &credits[i];
        /* Within this year, so this year's summary is not empty. */
        int64_t at = MAX(now - (int64_t)c->days_ago * 86400, year0 + (int64_t)i * 60);
        bool manual = strcmp(c->kind, "manual") == 0;
        int rc =
            yj_ledger_credit(db,
                             &(yj_credit_t){.member_id = ids[c->member],
                                            .kind = c->kind,
                                            .source_id = c->source,
                                            .minutes = c->minutes,
                                            .at = at,
                                            .by_whom = manual ? YJ_DEMO_ADMIN : "system",
                                            .reason = demo_title(c->source)},
                             NULL);
        if (rc)
            return rc;
    }
    return 0;
}

static int insert_org(yj_db_t *db, const demo_org_t *o)
{
    int64_t parent = 0;
    g_autofree char *ppath = NULL;
    if (o->parent) {
        yj_org_t p;
        int rc = yj_org_by_code(db, o->parent, NULL, &p);
        if (rc)
            return rc;
        parent = p.id;
        ppath = g_strdup(p.path);
    }
    /* The path needs the new id: insert with a unique placeholder, then set. */
    sqlite3_stmt *s = yj_db_stmt(db, "INSERT INTO orgs(code, name, parent_id, path, created_at) "
                                     "VALUES (?, ?, ?, '#' || ?, ?)");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, o->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, o->name, -1, SQLITE_STATIC);
    if (parent)
        sqlite3_bind_int64(s, 3, parent);
    sqlite3_bind_text(s, 4, o->code, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 5, yj_now());
    int rc = yj_db_step_done(db, s);
    if (rc)
        return rc;
    int64_t id = sqlite3_last_insert_rowid(yj_db_handle(db));
    g_autofree char *path = g_strdup_printf("%s%" G_GINT64_FORMAT "/", ppath ? ppath : "/", id);
    s = yj_db_stmt(db, "UPDATE orgs SET path = ? WHERE id = ?");
    if (!s)
        return YJ_EDB;
    sqlite3_bind_text(s, 1, path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, id);
    return yj_db_step_done(db, s);
}

static int seed_tx(yj_db_t *db, void *ud)
{
    int *loaded = ud;
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT count(*) FROM orgs");
    if (!s || sqlite3_step(s) != SQLITE_ROW)
        return YJ_EDB;
    int n = sqlite3_column_int(s, 0);
    sqlite3_reset(s);
    if (n > 0)
        return 0;
    for (size_t i = 0; i < YJ_ARRAY_LEN(orgs); i++) {
        int rc = insert_org(db, &orgs[i]);
        if (rc)
            return rc;
    }
    g_autofree char *hash = yj_password_hash(YJ_DEMO_PASSWORD);
    for (size_t i = 0; i < YJ_ARRAY_LEN(admins); i++) {
        yj_org_t org;
        int rc = yj_org_by_code(db, admins[i][1], NULL, &org);
        if (rc || (rc = yj_db_run(db,
                                  "INSERT INTO admins(username, password_hash, org_id, "
                                  "created_at, name) VALUES (?, ?, ?, ?, ?)",
                                  "ssIIs", admins[i][0], hash, org.id, yj_now(), admins[i][2])))
            return rc;
    }
    char *ids[YJ_ARRAY_LEN(members)] = {0};
    int rc = insert_members(db, hash, ids);
    for (size_t i = 0; i < YJ_ARRAY_LEN(members); i++)
        g_free(ids[i]);
    if (rc)
        return rc;
    *loaded = 1;
    return 0;
}

int yj_demo_seed(yj_store_t *st, char **err)
{
    int loaded = 0;
    int rc = yj_store_write(st, seed_tx, &loaded);
    if (rc) {
        if (err)
            *err = g_strdup_printf("cannot load demo data: %s", yj_strerror(rc));
        return rc;
    }
    return loaded;
}
