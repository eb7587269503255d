/* SPDX-License-Identifier: Apache-2.0 */
/* test_signaling_store.c — meetings in the store (signaling/store.c): scheduling checks,
 * invitations (org subtree, individual, migrant across subtrees), attendance
 * written per event, ending with one credit per member above the threshold,
 * idempotence, and recovery of open intervals after a crash. */
#include "fixture_store.h"

#include "core/demo.h"
#include "core/store.h"
#include "core/store_auth.h"
#include "signaling/store.h"
#include "core/yj.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

typedef struct {
    fixture_store_t fs;
    yj_store_t *st; /* fs.st */
    yj_principal_t district, qingshan;
} fx_t;

/* id, name, org code, migrant */
static const char *members[][4] = {
    {"330101199001010011", "青山甲", "33010101", "0"},
    {"330101199001010022", "青山乙", "33010101", "0"},
    {"330101199001010033", "竹林丙", "33010102", "0"},
    {"330102199001010044", "河畔丁", "33010201", "1"}, /* migrant, other township */
    {"330102199001010055", "新桥戊", "33010202", "0"},
};

static int setup(void **state)
{
    fx_t *f = g_new0(fx_t, 1);
    fixture_store_setup(&f->fs, true);
    f->st = f->fs.st;
    for (size_t i = 0; i < YJ_ARRAY_LEN(members); i++)
        fixture_store_add_member(&f->fs, members[i][0], members[i][1], members[i][2],
                                 members[i][3][0] == '1');
    assert_int_equal(yj_store_admin_find(f->st, "district", &f->district, NULL), 0);
    assert_int_equal(yj_store_admin_find(f->st, "qingshan", &f->qingshan, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    fixture_store_teardown(&f->fs);
    g_free(f);
    return 0;
}

static int64_t schedule(fx_t *f, const yj_principal_t *by, const char *org, const char *const *orgs,
                        size_t n_orgs, const char *const *mems, size_t n_mems, int duration,
                        int pct)
{
    yj_meeting_spec_t sp = {
        .title = "支部党员大会",
        .type = "member_assembly",
        .org_code = org,
        .start_at = yj_now(),
        .duration_minutes = duration,
        .threshold_percent = pct,
        .host_admin = by->username,
        .org_codes = orgs,
        .n_orgs = n_orgs,
        .member_ids = mems,
        .n_members = n_mems,
        .by = by,
    };
    int64_t id = 0;
    const char *field = NULL;
    char *value = NULL;
    int rc = yj_store_meeting_create(f->st, &sp, &id, &field, &value);
    if (rc) {
        g_free(value);
        return rc;
    }
    return id;
}

static void type_names(void **state)
{
    (void)state;
    assert_string_equal(yj_meeting_type_slug("党课"), "lecture");
    assert_string_equal(yj_meeting_type_slug("committee"), "committee");
    assert_null(yj_meeting_type_slug("party"));
    assert_string_equal(yj_meeting_type_name("group"), "党小组会");
}

static void scheduling_checks_reach(void **state)
{
    fx_t *f = *state;
    /* qingshan (330101) cannot schedule for the other township. */
    yj_meeting_spec_t sp = {.title = "t",
                            .type = "lecture",
                            .org_code = "33010201",
                            .start_at = 1,
                            .duration_minutes = 60,
                            .threshold_percent = 50,
                            .host_admin = "qingshan",
                            .by = &f->qingshan};
    const char *field = NULL;
    char *value = NULL;
    assert_int_equal(yj_store_meeting_create(f->st, &sp, NULL, &field, &value), YJ_EPERM);
    assert_string_equal(field, "org_code");
    assert_string_equal(value, "33010201");
    g_free(value);
    /* Unknown invited org. */
    const char *orgs[] = {"99999999"};
    sp.org_code = "33010101";
    sp.org_codes = orgs;
    sp.n_orgs = 1;
    value = NULL;
    assert_int_equal(yj_store_meeting_create(f->st, &sp, NULL, &field, &value), YJ_ENOENT);
    assert_string_equal(field, "orgs");
    g_free(value);
    /* A non-migrant member of another township cannot be invited… */
    const char *other[] = {"330102199001010055"};
    sp.org_codes = NULL;
    sp.n_orgs = 0;
    sp.member_ids = other;
    sp.n_members = 1;
    value = NULL;
    assert_int_equal(yj_store_meeting_create(f->st, &sp, NULL, &field, &value), YJ_ENOENT);
    assert_string_equal(field, "members");
    g_free(value);
    /* …a migrant one can. Nothing was left behind by the failures. */
    const char *migrant[] = {"330102199001010044"};
    sp.member_ids = migrant;
    int64_t id = 0;
    assert_int_equal(yj_store_meeting_create(f->st, &sp, &id, &field, NULL), 0);
    assert_true(id > 0);
    assert_int_equal(yj_store_meeting_count(f->st), 1);
    /* The host admin must cover the org. */
    sp.host_admin = "lvshui";
    sp.by = &f->district;
    value = NULL;
    assert_int_equal(yj_store_meeting_create(f->st, &sp, NULL, &field, &value), YJ_ENOENT);
    assert_string_equal(field, "host_admin");
    g_free(value);
}

static void invitations(void **state)
{
    fx_t *f = *state;
    const char *orgs[] = {"33010101"};
    const char *mems[] = {"330102199001010044"};
    int64_t id = schedule(f, &f->qingshan, "330101", orgs, 1, mems, 1, 60, 50);
    assert_true(id > 0);
    assert_true(yj_store_meeting_invited(f->st, id, "330101199001010011"));
    assert_true(yj_store_meeting_invited(f->st, id, "330102199001010044"));
    assert_false(yj_store_meeting_invited(f->st, id, "330101199001010033")); /* 竹林村 */
    assert_false(yj_store_meeting_invited(f->st, id, "330102199001010055"));
    /* Default invitation is the meeting's own org subtree. */
    int64_t id2 = schedule(f, &f->qingshan, "330101", NULL, 0, NULL, 0, 60, 50);
    assert_true(yj_store_meeting_invited(f->st, id2, "330101199001010033"));
    assert_false(yj_store_meeting_invited(f->st, id2, "330102199001010044"));

    yj_meeting_info_t m;
    assert_int_equal(yj_store_meeting_info(f->st, id, &m), 0);
    assert_true(yj_meeting_is_host(&m, &f->qingshan));
    assert_true(yj_meeting_is_host(&m, &f->district)); /* ancestor admin */
    yj_principal_t lv;
    assert_int_equal(yj_store_admin_find(f->st, "lvshui", &lv, NULL), 0);
    assert_false(yj_store_meeting_can_join(f->st, &m, &lv));

    json_t *list = yj_store_meeting_list(f->st, &lv, NULL, 50, 0);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 0);
    json_decref(list);
    yj_principal_t mig;
    assert_int_equal(yj_store_member_find(f->st, "330102199001010044", &mig, NULL), 0);
    list = yj_store_meeting_list(f->st, &mig, NULL, 50, 0);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 1);
    json_decref(list);
    list = yj_store_meeting_list(f->st, &f->district, "scheduled", 50, 0);
    assert_int_equal(json_integer_value(json_object_get(list, "total")), 2);
    json_decref(list);
}

static int64_t ledger_minutes(fx_t *f, const char *member, int64_t meeting, int *rows)
{
    yj_db_t *db = yj_store_reader(f->st);
    sqlite3_stmt *s = yj_db_stmt(db, "SELECT count(*), coalesce(sum(minutes), 0) FROM ledger "
                                     "WHERE member_id = ? AND kind = 'meeting' AND source_id = ?");
    char src[32];
    g_snprintf(src, sizeof src, "meeting:%" G_GINT64_FORMAT, meeting);
    sqlite3_bind_text(s, 1, member, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, src, -1, SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    *rows = sqlite3_column_int(s, 0);
    int64_t m = sqlite3_column_int64(s, 1);
    sqlite3_reset(s);
    return m;
}

static void attendance_and_credit(void **state)
{
    fx_t *f = *state;
    const char *orgs[] = {"33010101"};
    const char *mems[] = {"330102199001010044"};
    /* 10 minutes, threshold 50% = 300 s. */
    int64_t id = schedule(f, &f->qingshan, "330101", orgs, 1, mems, 1, 10, 50);
    const int64_t t0 = 1000000;
    int64_t a1, a2, b1, c1;
    const char *A = "330101199001010011", *B = "330101199001010022", *C = "330102199001010044";
    /* A: phone and PC overlap, then a reconnect: [0,200) ∪ [100,400) ∪ [450,600) = 550 s. */
    assert_int_equal(yj_store_attendance_join(f->st, id, A, "phone", t0, &a1), 0);
    yj_meeting_info_t m;
    assert_int_equal(yj_store_meeting_info(f->st, id, &m), 0);
    assert_string_equal(m.status, "live");
    assert_int_equal(m.started_at, t0);
    assert_int_equal(yj_store_attendance_join(f->st, id, A, "pc", t0 + 100, &a2), 0);
    assert_int_equal(yj_store_attendance_leave(f->st, a1, t0 + 200), 0);
    assert_int_equal(yj_store_attendance_leave(f->st, a2, t0 + 400), 0);
    assert_int_equal(yj_store_attendance_leave(f->st, a2, t0 + 999), 0); /* no-op */
    assert_int_equal(yj_store_attendance_join(f->st, id, A, "phone", t0 + 450, &a1), 0);
    /* B: 299 s — one second short. */
    assert_int_equal(yj_store_attendance_join(f->st, id, B, NULL, t0 + 1, &b1), 0);
    assert_int_equal(yj_store_attendance_leave(f->st, b1, t0 + 300), 0);
    /* C (migrant): still connected at the end: [300, 600) = 300 s. */
    assert_int_equal(yj_store_attendance_join(f->st, id, C, NULL, t0 + 300, &c1), 0);

    /* The report while live counts open intervals up to "now". */
    json_t *r = yj_store_meeting_report(f->st, id, t0 + 600);
    assert_non_null(r);
    json_t *tot = json_object_get(r, "totals");
    /* Invited: every member of 青山村 (ours and the demo's) and the migrant. */
    yj_db_t *db = yj_store_reader(f->st);
    sqlite3_stmt *q = yj_db_stmt(db, "SELECT count(*) FROM members me JOIN orgs o ON o.id = "
                                     "me.org_id WHERE o.code = '33010101'");
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int branch = sqlite3_column_int(q, 0);
    sqlite3_reset(q);
    assert_true(branch >= 2);
    assert_int_equal(json_integer_value(json_object_get(tot, "invited")), branch + 1);
    assert_int_equal(json_integer_value(json_object_get(tot, "present")), 3);
    assert_int_equal(json_integer_value(json_object_get(tot, "absent")), branch + 1 - 3);
    json_decref(r);

    int credited = -1;
    assert_int_equal(yj_store_meeting_end(f->st, id, t0 + 600, "host", &credited), 0);
    assert_int_equal(credited, 2);
    int rows;
    assert_int_equal(ledger_minutes(f, A, id, &rows), 9); /* 550 s → 9 min */
    assert_int_equal(rows, 1);
    assert_int_equal(ledger_minutes(f, B, id, &rows), 0);
    assert_int_equal(rows, 0);
    assert_int_equal(ledger_minutes(f, C, id, &rows), 5);
    assert_int_equal(rows, 1);
    /* Ending twice changes nothing; joining an ended meeting is refused. */
    assert_int_equal(yj_store_meeting_end(f->st, id, t0 + 900, "host", &credited), YJ_ESTATE);
    assert_int_equal(ledger_minutes(f, A, id, &rows), 9);
    assert_int_equal(rows, 1);
    assert_int_equal(yj_store_attendance_join(f->st, id, A, NULL, t0 + 901, &a1), YJ_ESTATE);

    r = yj_store_meeting_report(f->st, id, t0 + 5000);
    tot = json_object_get(r, "totals");
    assert_int_equal(json_integer_value(json_object_get(tot, "credited")), 2);
    json_t *orgs_j = json_object_get(r, "orgs");
    assert_int_equal(json_array_size(orgs_j), 2); /* 青山村 and the migrant's 河畔社区 */
    json_t *first = json_array_get(json_object_get(json_array_get(orgs_j, 0), "present"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id_number")), A);
    assert_int_equal(json_integer_value(json_object_get(first, "attended_seconds")), 550);
    assert_int_equal(json_integer_value(json_object_get(first, "credited_minutes")), 9);
    assert_int_equal(json_integer_value(json_object_get(first, "joins")), 3);
    json_decref(r);
}

static void recovery_closes_at_alive_time(void **state)
{
    fx_t *f = *state;
    int64_t id = schedule(f, &f->qingshan, "33010101", NULL, 0, NULL, 0, 1, 10);
    const int64_t t0 = 2000000;
    int64_t a;
    const char *A = "330101199001010011";
    assert_int_equal(yj_store_attendance_join(f->st, id, A, NULL, t0, &a), 0);
    assert_int_equal(yj_store_meeting_heartbeat(f->st, id, t0 + 40), 0);
    /* "crash": nothing closes the interval. Restart: */
    GArray *live = yj_store_meetings_recover(f->st);
    assert_non_null(live);
    assert_int_equal(live->len, 1);
    assert_int_equal(g_array_index(live, gint64, 0), id);
    g_array_unref(live);
    yj_meeting_info_t m;
    assert_int_equal(yj_store_meeting_info(f->st, id, &m), 0);
    assert_int_equal(m.alive_at, t0 + 40);
    int credited = 0;
    assert_int_equal(yj_store_meeting_end(f->st, id, m.alive_at, "recovered", &credited), 0);
    assert_int_equal(credited, 1);
    int rows;
    assert_int_equal(ledger_minutes(f, A, id, &rows), 1);
    json_t *r = yj_store_meeting_report(f->st, id, t0 + 99999);
    json_t *who = json_array_get(
        json_object_get(json_array_get(json_object_get(r, "orgs"), 0), "present"), 0);
    assert_int_equal(json_integer_value(json_object_get(who, "attended_seconds")), 40);
    json_decref(r);
    /* A second recovery finds nothing live. */
    live = yj_store_meetings_recover(f->st);
    assert_int_equal(live->len, 0);
    g_array_unref(live);
}

/* An edit replaces fields and invitations while scheduled; a cancel removes
 * a meeting nobody joined; both are refused once it is live. Lateness and
 * the attendance counts come from the same intervals. */
static void edit_cancel_late_and_counts(void **state)
{
    fx_t *f = *state;
    const char *orgs[] = {"33010101", "33010102"};
    const char *mems[] = {"330102199001010044"};
    int64_t id = schedule(f, &f->qingshan, "330101", orgs, 2, mems, 1, 10, 50);
    assert_true(id > 0);

    const char *one[] = {"33010102"};
    yj_meeting_spec_t sp = {
        .title = "改过的会",
        .type = "group",
        .org_code = "330101",
        .start_at = yj_now() + 3600,
        .duration_minutes = 20,
        .threshold_percent = 40,
        .host_admin = "qingshan",
        .org_codes = one,
        .n_orgs = 1,
        .member_ids = mems,
        .n_members = 1,
        .by = &f->qingshan,
        .replace_id = id,
    };
    int64_t got = 0;
    assert_int_equal(yj_store_meeting_create(f->st, &sp, &got, NULL, NULL), 0);
    assert_int_equal(got, id);
    json_t *j = yj_store_meeting_json(f->st, id);
    assert_string_equal(json_string_value(json_object_get(j, "title")), "改过的会");
    assert_int_equal(json_integer_value(json_object_get(j, "duration_minutes")), 20);
    assert_int_equal(json_array_size(json_object_get(j, "invited_orgs")), 1);
    assert_int_equal(json_array_size(json_object_get(j, "invited_members")), 1);
    json_decref(j);
    assert_false(yj_store_meeting_invited(f->st, id, "330101199001010011")); /* 青山村: no longer */
    assert_true(yj_store_meeting_invited(f->st, id, "330101199001010033")); /* 竹林村 */

    /* Invitees: part of a name in the subtree; a migrant elsewhere only in full. */
    j = yj_store_meeting_invitees(f->st, &f->qingshan, "青山", 20);
    assert_int_equal(json_array_size(json_object_get(j, "members")), 2);
    json_decref(j);
    j = yj_store_meeting_invitees(f->st, &f->qingshan, "河畔", 20);
    assert_int_equal(json_array_size(json_object_get(j, "members")), 0);
    json_decref(j);
    j = yj_store_meeting_invitees(f->st, &f->qingshan, "河畔丁", 20);
    assert_int_equal(json_array_size(json_object_get(j, "members")), 1);
    json_decref(j);
    j = yj_store_meeting_invitees(f->st, &f->qingshan, "新桥戊", 20); /* not a migrant */
    assert_int_equal(json_array_size(json_object_get(j, "members")), 0);
    json_decref(j);

    /* Live: no edit, no cancel. One member on time, one late. */
    int64_t t0 = yj_now() + 3600, a, b;
    assert_int_equal(yj_store_attendance_join(f->st, id, "330101199001010033", NULL, t0, &a), 0);
    sp.title = "再改";
    assert_int_equal(yj_store_meeting_create(f->st, &sp, NULL, NULL, NULL), YJ_ESTATE);
    assert_int_equal(yj_store_meeting_cancel(f->st, id), YJ_ESTATE);
    json_t *r = yj_store_meeting_report(f->st, id, t0 + 600);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"), "late")), 0);
    json_decref(r);
    assert_int_equal(yj_store_attendance_join(f->st, id, "330101199001010033", NULL, t0 + 1, &b),
                     0);
    /* The migrant member comes 400 s after the start: late. */
    int64_t c;
    assert_int_equal(yj_store_attendance_join(f->st, id, "330102199001010044", NULL, t0 + 400, &c),
                     0);
    r = yj_store_meeting_report(f->st, id, t0 + 600);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "totals"), "late")), 1);
    json_decref(r);
    assert_int_equal(yj_store_attendance_leave(f->st, c, t0 + 900), 0);
    assert_int_equal(yj_store_attendance_leave(f->st, a, t0 + 900), 0);
    assert_int_equal(yj_store_attendance_leave(f->st, b, t0 + 900), 0);
    assert_int_equal(yj_store_meeting_end(f->st, id, t0 + 1200, "host", NULL), 0);
    r = yj_store_meeting_report(f->st, id, t0 + 1200);
    json_int_t invited =
        json_integer_value(json_object_get(json_object_get(r, "totals"), "invited"));
    json_decref(r);
    j = yj_store_meeting_attendance(f->st, f->qingshan.org_path, t0 - 10, t0 + 10);
    json_t *row = json_array_get(json_object_get(j, "meetings"), 0);
    assert_non_null(row);
    assert_true(invited > 1);
    assert_int_equal(json_integer_value(json_object_get(row, "invited")), invited);
    assert_int_equal(json_integer_value(json_object_get(row, "present")), 2);
    assert_int_equal(json_integer_value(json_object_get(row, "credited")), 2);
    json_decref(j);
    j = yj_store_meeting_attendance(f->st, f->qingshan.org_path, t0 + 10, t0 + 20);
    assert_int_equal(json_array_size(json_object_get(j, "meetings")), 0);
    json_decref(j);

    /* A second meeting: cancelled before anyone joined, then gone. */
    int64_t other = schedule(f, &f->qingshan, "330101", orgs, 1, NULL, 0, 10, 50);
    assert_int_equal(yj_store_meeting_cancel(f->st, other), 0);
    yj_meeting_info_t m;
    assert_int_equal(yj_store_meeting_info(f->st, other, &m), YJ_ENOENT);
    assert_int_equal(yj_store_meeting_cancel(f->st, other), YJ_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(type_names),
        cmocka_unit_test_setup_teardown(scheduling_checks_reach, setup, teardown),
        cmocka_unit_test_setup_teardown(invitations, setup, teardown),
        cmocka_unit_test_setup_teardown(attendance_and_credit, setup, teardown),
        cmocka_unit_test_setup_teardown(recovery_closes_at_alive_time, setup, teardown),
        cmocka_unit_test_setup_teardown(edit_cancel_late_and_counts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
