/* SPDX-License-Identifier: Apache-2.0 */
/* test_records.c — the records store on a real SQLite file: ledger
 * uniqueness and corrections, subtree checks, moves that rewrite paths,
 * all-or-nothing imports, summaries computed from the ledger, and member
 * field validation. Each test gets a fresh database with the demo data. */
#include "fixture_store.h"

#include "core/crypto.h"
#include "core/demo.h"
#include "core/idnum.h"
#include "core/member_csv.h"
#include "core/member_input.h"
#include "core/principal.h"
#include "core/store_records.h"
#include "core/yj.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#define ZHANG "330102195603120130" /* 33010101 (qingshan) */

typedef struct {
    fixture_store_t fs;
    yj_store_t *st; /* fs.st */
    yj_org_t district, qingshan, lvshui;
} fx_t;

static int setup(void **state)
{
    fx_t *f = g_new0(fx_t, 1);
    fixture_store_setup(&f->fs, true);
    f->st = f->fs.st;
    char *err = NULL;
    assert_int_equal(yj_demo_seed(f->st, &err), 0); /* only into an empty store */
    assert_int_equal(yj_store_org_get(f->st, "330100", NULL, &f->district), 0);
    assert_int_equal(yj_store_org_get(f->st, "330101", NULL, &f->qingshan), 0);
    assert_int_equal(yj_store_org_get(f->st, "330102", NULL, &f->lvshui), 0);
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

static void make_id(const char *region, const char *birth, int seq, char out[19])
{
    char first[18];
    g_snprintf(first, sizeof first, "%s%s%03d", region, birth, seq);
    g_snprintf(out, 19, "%s%c", first, yj_idnum_check_char(first));
}

static int64_t member_total(yj_store_t *st, const char *id, int year)
{
    GArray *t = g_array_new(FALSE, FALSE, sizeof(yj_record_total_t));
    GArray *l = g_array_new(FALSE, FALSE, sizeof(yj_ledger_entry_t));
    bool more;
    assert_int_equal(yj_store_member_record(st, id, NULL, year, 1000, NULL, t, l, &more), 0);
    int64_t sum = 0;
    for (guint i = 0; i < t->len; i++)
        sum += g_array_index(t, yj_record_total_t, i).minutes;
    /* Totals always equal the sum of the ledger lines. */
    int64_t lines = 0;
    for (guint i = 0; i < l->len; i++)
        lines += g_array_index(l, yj_ledger_entry_t, i).minutes;
    assert_int_equal(sum, lines);
    g_array_free(t, TRUE);
    g_array_free(l, TRUE);
    return sum;
}

static void ledger_uniqueness(void **state)
{
    fx_t *f = *state;
    yj_store_t *st = f->st;
    int64_t before = member_total(st, ZHANG, 0);
    assert_int_equal(
        yj_store_credit(st, ZHANG, "meeting", "room-7:2026-11-22", 90, "signaling", NULL), 0);
    /* The same event, credited again: refused, whatever the minutes. */
    assert_int_equal(
        yj_store_credit(st, ZHANG, "meeting", "room-7:2026-11-22", 90, "signaling", NULL),
        YJ_EEXIST);
    assert_int_equal(yj_store_credit(st, ZHANG, "meeting", "room-7:2026-11-22", 5, "x", NULL),
                     YJ_EEXIST);
    /* Another kind or another member with the same source id is another event. */
    assert_int_equal(yj_store_credit(st, ZHANG, "lesson", "room-7:2026-11-22", 30, "vod", NULL), 0);
    assert_int_equal(yj_store_credit(st, "330102196309250246", "meeting", "room-7:2026-11-22", 90,
                                     "signaling", NULL),
                     0);
    assert_int_equal(member_total(st, ZHANG, 0), before + 120);
    /* Bad arguments and unknown members change nothing. */
    char nobody[19];
    make_id("330106", "19700101", 1, nobody);
    assert_int_equal(yj_store_credit(st, nobody, "meeting", "m", 10, "x", NULL), YJ_ENOENT);
    assert_int_equal(yj_store_credit(st, ZHANG, "party", "m", 10, "x", NULL), YJ_EINVAL);
    assert_int_equal(yj_store_credit(st, ZHANG, "meeting", "", 10, "x", NULL), YJ_EINVAL);
    assert_int_equal(yj_store_credit(st, ZHANG, "meeting", "m", 0, "x", NULL), YJ_EINVAL);
    assert_int_equal(yj_store_credit(st, ZHANG, "meeting", "m", -5, "x", NULL), YJ_EINVAL);
    assert_int_equal(yj_store_credit(st, ZHANG, "meeting", "m", 6001, "x", NULL), YJ_EINVAL);
    assert_int_equal(yj_store_credit(st, ZHANG, "meeting", "m", 10, "", NULL), YJ_EINVAL);
    assert_int_equal(member_total(st, ZHANG, 0), before + 120);
    /* Within a subtree: out of reach is "no such member". */
    yj_ledger_entry_t e;
    assert_int_equal(
        yj_store_credit_add(st, ZHANG, "manual", "m1", 10, "lvshui", "x", f->lvshui.path, &e),
        YJ_ENOENT);
    assert_int_equal(yj_store_credit_add(st, ZHANG, "manual", "m1", 10, "qingshan", "义务劳动",
                                         f->qingshan.path, &e),
                     0);
    assert_string_equal(e.member_id, ZHANG);
    assert_string_equal(e.kind, "manual");
    assert_string_equal(e.by_whom, "qingshan");
    assert_string_equal(e.reason, "义务劳动");
    assert_int_equal(e.minutes, 10);
    assert_int_equal(e.corrects, 0);
    assert_true(e.at > 0);
}

/* Inside one write transaction, as signaling/store.c and vod/store.c use
 * them: a repeated credit is YJ_EEXIST and changes nothing, the
 * transaction stays usable for the next row, and yj_org_by_code honours
 * `within`. */
typedef struct {
    const char *district; /* path */
    int64_t first, second;
    int again, org_in, org_out;
    yj_org_t org;
} in_tx_t;

static int credit_in_tx(yj_db_t *db, void *ud)
{
    in_tx_t *t = ud;
    yj_credit_t c = {.member_id = ZHANG,
                     .kind = "meeting",
                     .source_id = "meeting:in-tx",
                     .minutes = 40,
                     .at = yj_now(),
                     .by_whom = "system",
                     .reason = "t"};
    int rc = yj_ledger_credit(db, &c, &t->first);
    if (rc)
        return rc;
    t->again = yj_ledger_credit(db, &c, NULL);
    c.source_id = "lesson:in-tx";
    c.kind = "lesson";
    c.minutes = 5;
    if ((rc = yj_ledger_credit(db, &c, &t->second)))
        return rc;
    t->org_in = yj_org_by_code(db, "33010101", t->district, &t->org);
    t->org_out = yj_org_by_code(db, "33010201", t->org.path, &(yj_org_t){0});
    return 0;
}

static void ledger_credit_in_transaction(void **state)
{
    fx_t *f = *state;
    int64_t before = member_total(f->st, ZHANG, 0);
    in_tx_t t = {.district = f->district.path};
    assert_int_equal(yj_store_write(f->st, credit_in_tx, &t), 0);
    assert_int_equal(t.again, YJ_EEXIST);
    assert_true(t.first > 0 && t.second > t.first);
    assert_int_equal(member_total(f->st, ZHANG, 0), before + 45);
    yj_ledger_entry_t e;
    assert_int_equal(yj_store_ledger_get(f->st, t.first, NULL, &e), 0);
    assert_int_equal(e.minutes, 40);
    assert_string_equal(e.source_id, "meeting:in-tx");
    assert_int_equal(t.org_in, 0);
    assert_string_equal(t.org.code, "33010101");
    assert_int_equal(t.org_out, YJ_ENOENT);
}

static void corrections(void **state)
{
    fx_t *f = *state;
    yj_store_t *st = f->st;
    yj_ledger_entry_t e, c, c2;
    assert_int_equal(
        yj_store_credit_add(st, ZHANG, "lesson", "lesson-9", 60, "vod", NULL, NULL, &e), 0);
    int64_t before = member_total(st, ZHANG, 0);
    char why[160];
    assert_int_equal(
        yj_store_ledger_correct(st, e.id, -15, "qingshan", "left early", f->qingshan.path, &c, why),
        0);
    assert_int_equal(c.corrects, e.id);
    assert_string_equal(c.kind, "lesson");
    assert_string_equal(c.member_id, ZHANG);
    assert_int_equal(c.minutes, -15);
    char want_source[64];
    g_snprintf(want_source, sizeof want_source, "correction:%" G_GINT64_FORMAT ":1", e.id);
    assert_string_equal(c.source_id, want_source);
    /* A second correction gets its own source id. */
    assert_int_equal(yj_store_ledger_correct(st, e.id, 5, "qingshan", "came back", NULL, &c2, why),
                     0);
    assert_int_not_equal(c2.id, c.id);
    assert_int_equal(member_total(st, ZHANG, 0), before - 10);
    /* The original row is untouched. */
    yj_ledger_entry_t again;
    assert_int_equal(yj_store_ledger_get(st, e.id, NULL, &again), 0);
    assert_int_equal(again.minutes, 60);
    /* Refusals: below zero, correcting a correction, zero, no reason,
     * out of reach, no such row. */
    assert_int_equal(yj_store_ledger_correct(st, e.id, -51, "q", "too much", NULL, &c, why),
                     YJ_ESTATE);
    assert_non_null(strstr(why, "between 0"));
    assert_int_equal(yj_store_ledger_correct(st, c2.id, 1, "q", "chain", NULL, &c, why), YJ_ESTATE);
    assert_non_null(strstr(why, "itself a correction"));
    assert_int_equal(yj_store_ledger_correct(st, e.id, 0, "q", "zero", NULL, &c, why), YJ_EINVAL);
    assert_int_equal(yj_store_ledger_correct(st, e.id, 1, "q", "", NULL, &c, why), YJ_EINVAL);
    assert_int_equal(yj_store_ledger_correct(st, e.id, 1, "q", "x", f->lvshui.path, &c, why),
                     YJ_ENOENT);
    assert_int_equal(yj_store_ledger_correct(st, 999999, 1, "q", "x", NULL, &c, why), YJ_ENOENT);
    assert_int_equal(member_total(st, ZHANG, 0), before - 10);
    /* A correction counts in the year of the row it corrects. */
    int year = yj_year_of(e.at);
    assert_int_equal(member_total(st, ZHANG, year), member_total(st, ZHANG, 0));
    assert_int_equal(member_total(st, ZHANG, year - 1), 0);
}

static void subtree_checks(void **state)
{
    fx_t *f = *state;
    yj_store_t *st = f->st;
    yj_org_t o;
    yj_member_t m;
    /* Own and below: visible. Sideways and above: absent. */
    assert_int_equal(yj_store_org_get(st, "33010101", f->qingshan.path, &o), 0);
    assert_int_equal(yj_store_org_get(st, "330101", f->qingshan.path, &o), 0);
    assert_int_equal(yj_store_org_get(st, "33010201", f->qingshan.path, &o), YJ_ENOENT);
    assert_int_equal(yj_store_org_get(st, "330100", f->qingshan.path, &o), YJ_ENOENT);
    assert_int_equal(yj_store_org_get(st, "33010201", f->district.path, &o), 0);
    assert_int_equal(yj_store_member_get(st, ZHANG, f->qingshan.path, &m), 0);
    assert_string_equal(m.org_code, "33010101");
    assert_int_equal(yj_store_member_get(st, ZHANG, f->lvshui.path, &m), YJ_ENOENT);

    /* Ids that share a decimal prefix ("/1/2/" vs "/1/23/") must not leak
     * into each other's subtree: make enough orgs to get such ids. */
    for (int i = 0; i < 20; i++) {
        char code[16];
        g_snprintf(code, sizeof code, "9%02d", i);
        assert_int_equal(yj_store_org_create(st, code, "填充", "330100", NULL, &o), 0);
    }
    char prefixed[8];
    g_snprintf(prefixed, sizeof prefixed, "%" G_GINT64_FORMAT, f->qingshan.id);
    GArray *list = g_array_new(FALSE, FALSE, sizeof(yj_org_t));
    assert_int_equal(yj_store_org_list(st, f->qingshan.path, list), 0);
    assert_int_equal(list->len, 3);
    for (guint i = 0; i < list->len; i++)
        assert_true(yj_path_within(f->qingshan.path, g_array_index(list, yj_org_t, i).path));
    g_array_free(list, TRUE);
    /* An org whose id starts with qingshan's id digits is outside. */
    bool found = false;
    for (int i = 0; i < 20 && !found; i++) {
        char code[16];
        g_snprintf(code, sizeof code, "9%02d", i);
        assert_int_equal(yj_store_org_get(st, code, NULL, &o), 0);
        char idtxt[24];
        g_snprintf(idtxt, sizeof idtxt, "%" G_GINT64_FORMAT, o.id);
        if (g_str_has_prefix(idtxt, prefixed) && o.id != f->qingshan.id) {
            found = true;
            assert_int_equal(yj_store_org_get(st, code, f->qingshan.path, &o), YJ_ENOENT);
            /* …and has no members counted for qingshan. */
        }
    }
    assert_true(found);
    GArray *ms = g_array_new(FALSE, FALSE, sizeof(yj_member_t));
    int64_t total = 0;
    yj_member_query_t q = {f->qingshan.path, true, NULL, 500, 0};
    assert_int_equal(yj_store_member_list(st, &q, ms, &total), 0);
    assert_int_equal(total, 10);
    for (guint i = 0; i < ms->len; i++)
        assert_true(yj_path_within(f->qingshan.path, g_array_index(ms, yj_member_t, i).org_path));
    g_array_free(ms, TRUE);

    /* Changes out of reach are refused inside the transaction. */
    yj_member_input_t in;
    yj_field_error_t fe;
    memset(&in, 0, sizeof in);
    assert_int_equal(yj_member_input_set(&in, YJ_MF_ID_NUMBER, ZHANG, &fe), 0);
    assert_int_equal(yj_member_input_set(&in, YJ_MF_ORG_CODE, "33010201", &fe), 0);
    assert_int_equal(yj_member_input_finish(&in, false, &fe), 0);
    const char *bad = NULL;
    assert_int_equal(yj_store_member_update(st, ZHANG, &in, f->qingshan.path, &m, &bad), YJ_ENOENT);
    assert_string_equal(bad, "org_code");
    assert_int_equal(yj_store_member_update(st, ZHANG, &in, f->lvshui.path, &m, &bad), YJ_ENOENT);
    assert_string_equal(bad, "id_number");
    assert_int_equal(yj_store_member_get(st, ZHANG, NULL, &m), 0);
    assert_string_equal(m.org_code, "33010101");
    assert_int_equal(yj_store_member_update(st, ZHANG, &in, f->district.path, &m, &bad), 0);
    assert_string_equal(m.org_code, "33010201");
}

static void moves_rewrite_paths(void **state)
{
    fx_t *f = *state;
    yj_store_t *st = f->st;
    yj_org_t a, b, c, o;
    assert_int_equal(yj_store_org_create(st, "A1", "甲", "330101", NULL, &a), 0);
    assert_int_equal(yj_store_org_create(st, "B1", "乙", "A1", NULL, &b), 0);
    assert_int_equal(yj_store_org_create(st, "C1", "丙", "B1", NULL, &c), 0);
    assert_int_equal(c.depth, 4);
    assert_true(g_str_has_prefix(c.path, a.path));
    /* Move A (with B and C) to lvshui's township. */
    const char *bad = NULL;
    assert_int_equal(yj_store_org_update(st, "A1", NULL, "330102", f->district.path, &o, &bad), 0);
    assert_string_equal(o.parent_code, "330102");
    yj_org_t c2, b2;
    assert_int_equal(yj_store_org_get(st, "C1", NULL, &c2), 0);
    assert_int_equal(yj_store_org_get(st, "B1", NULL, &b2), 0);
    assert_true(g_str_has_prefix(c2.path, f->lvshui.path));
    assert_true(g_str_has_prefix(c2.path, o.path));
    assert_true(g_str_has_prefix(c2.path, b2.path));
    assert_int_equal(c2.depth, 4);
    assert_int_equal(yj_store_org_get(st, "C1", f->qingshan.path, &c2), YJ_ENOENT);
    assert_int_equal(yj_store_org_get(st, "C1", f->lvshui.path, &c2), 0);
    /* Cycles and own roots are refused; out of reach is absent. */
    assert_int_equal(yj_store_org_update(st, "A1", NULL, "C1", NULL, &o, &bad), YJ_ESTATE);
    assert_int_equal(yj_store_org_update(st, "A1", NULL, "A1", NULL, &o, &bad), YJ_ESTATE);
    assert_int_equal(yj_store_org_update(st, "330102", NULL, "C1", f->lvshui.path, &o, &bad),
                     YJ_EPERM);
    assert_int_equal(yj_store_org_update(st, "A1", NULL, "330101", f->lvshui.path, &o, &bad),
                     YJ_ENOENT);
    assert_string_equal(bad, "parent_code");
    assert_int_equal(yj_store_org_update(st, "A1", "改名", NULL, f->qingshan.path, &o, &bad),
                     YJ_ENOENT);
    assert_string_equal(bad, "code");
    /* Rename with a move back; a failed step rolls the rename back. */
    assert_int_equal(yj_store_org_update(st, "A1", "新名", "C1", NULL, &o, &bad), YJ_ESTATE);
    assert_int_equal(yj_store_org_get(st, "A1", NULL, &o), 0);
    assert_string_equal(o.name, "甲");
    assert_int_equal(yj_store_org_update(st, "A1", "新名", "330101", NULL, &o, &bad), 0);
    assert_string_equal(o.name, "新名");
    assert_int_equal(yj_store_org_get(st, "C1", f->qingshan.path, &c2), 0);
    /* Depth limit. */
    char parent[8] = "C1";
    int created = 0;
    for (int i = 0; i < YJ_ORG_MAX_DEPTH + 2; i++) {
        char code[8];
        g_snprintf(code, sizeof code, "D%d", i);
        int rc = yj_store_org_create(st, code, "深", parent, NULL, &o);
        if (rc == YJ_ETOOBIG)
            break;
        assert_int_equal(rc, 0);
        created++;
        g_strlcpy(parent, code, sizeof parent);
    }
    assert_int_equal(o.depth, YJ_ORG_MAX_DEPTH - 1);
    assert_true(created < YJ_ORG_MAX_DEPTH);
    /* Deleting: refused with children, members or admins; fine when empty. */
    char why[128];
    assert_int_equal(yj_store_org_delete(st, "B1", NULL, why), YJ_EBUSY);
    assert_non_null(strstr(why, "1 sub-organisations"));
    assert_int_equal(yj_store_org_delete(st, "33010101", NULL, why), YJ_EBUSY);
    assert_int_equal(yj_store_org_delete(st, "330101", f->qingshan.path, why), YJ_EPERM);
    assert_int_equal(yj_store_org_delete(st, "33010201", f->qingshan.path, why), YJ_ENOENT);
    assert_int_equal(yj_store_org_delete(st, parent, NULL, why), 0);
    assert_int_equal(yj_store_org_get(st, parent, NULL, &o), YJ_ENOENT);
    /* Codes are unique. */
    assert_int_equal(yj_store_org_create(st, "A1", "x", "330101", NULL, &o), YJ_EEXIST);
    assert_int_equal(yj_store_org_create(st, "a/b", "x", "330101", NULL, &o), YJ_EINVAL);
}

static int count_members(yj_store_t *st, const char *path)
{
    GArray *ms = g_array_new(FALSE, FALSE, sizeof(yj_member_t));
    int64_t total = 0;
    yj_member_query_t q = {path, true, NULL, 1, 0};
    assert_int_equal(yj_store_member_list(st, &q, ms, &total), 0);
    g_array_free(ms, TRUE);
    return (int)total;
}

static void import_all_or_nothing(void **state)
{
    fx_t *f = *state;
    yj_store_t *st = f->st;
    int n0 = count_members(st, f->district.path);
    GString *csv = g_string_new("身份证号,姓名,组织编码\n");
    for (int i = 0; i < 300; i++) {
        char id[19];
        make_id("330106", "19800101", i, id);
        g_string_append_printf(csv, "%s,成员%d,%s\n", id, i, i % 2 ? "33010101" : "33010102");
    }
    /* Row 300 (line 302) names another township's branch. */
    char id[19];
    make_id("330106", "19800102", 1, id);
    g_string_append_printf(csv, "%s,越界,33010201\n", id);
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(yj_import_row_t));
    GArray *errors = g_array_new(FALSE, FALSE, sizeof(yj_import_error_t));
    assert_int_equal(yj_member_csv_parse(csv->str, csv->len, 1000, rows, errors, NULL), 0);
    assert_int_equal(rows->len, 301);
    int created = -1, updated = -1;
    assert_int_equal(yj_store_member_import(st, (yj_import_row_t *)rows->data, rows->len, "330101",
                                            f->qingshan.path, false, errors, &created, &updated),
                     YJ_EINVAL);
    assert_int_equal(errors->len, 1);
    yj_import_error_t *e = &g_array_index(errors, yj_import_error_t, 0);
    assert_int_equal(e->line, 302);
    assert_string_equal(e->e.field, "org_code");
    assert_string_equal(e->e.code, "unknown_org");
    assert_int_equal(created, 0);
    assert_int_equal(count_members(st, f->district.path), n0);
    /* check_only never writes, even when every row is good. */
    g_array_set_size(rows, 300);
    g_array_set_size(errors, 0);
    assert_int_equal(yj_store_member_import(st, (yj_import_row_t *)rows->data, rows->len, "330101",
                                            f->qingshan.path, true, errors, &created, &updated),
                     YJ_EINVAL);
    assert_int_equal(errors->len, 0);
    assert_int_equal(count_members(st, f->district.path), n0);
    /* All good: every row written, in one go. */
    assert_int_equal(yj_store_member_import(st, (yj_import_row_t *)rows->data, rows->len, "330101",
                                            f->qingshan.path, false, errors, &created, &updated),
                     0);
    assert_int_equal(created, 300);
    assert_int_equal(updated, 0);
    assert_int_equal(count_members(st, f->district.path), n0 + 300);
    /* Again: updates, no duplicates. */
    assert_int_equal(yj_store_member_import(st, (yj_import_row_t *)rows->data, rows->len, "330101",
                                            f->qingshan.path, false, errors, &created, &updated),
                     0);
    assert_int_equal(created, 0);
    assert_int_equal(updated, 300);
    assert_int_equal(count_members(st, f->district.path), n0 + 300);
    g_array_free(rows, TRUE);
    g_array_free(errors, TRUE);
    g_string_free(csv, TRUE);

    /* The parser reports every bad row with its line, in order. */
    rows = g_array_new(FALSE, FALSE, sizeof(yj_import_row_t));
    errors = g_array_new(FALSE, FALSE, sizeof(yj_import_error_t));
    char good[19];
    make_id("330106", "19800103", 2, good);
    g_autofree char *bad = g_strdup_printf("序号,id_number,name,gender,status\n"
                                           "1,%s,好,female,full\n"
                                           "2,110105194912310021,坏校验,,\n"
                                           "\n"
                                           "4,%s,性别错,male,\n"
                                           "5,%s,重复,,预备\n"
                                           "6,,无号,,\n"
                                           "7,%s,多列,,,extra\n",
                                           good, good, good, good);
    GPtrArray *ignored = g_ptr_array_new_with_free_func(g_free);
    assert_int_equal(yj_member_csv_parse(bad, strlen(bad), 1000, rows, errors, ignored), YJ_EINVAL);
    const struct {
        int line;
        const char *field, *code;
    } want[] = {{3, "id_number", "invalid_id_number"},
                {5, "gender", "id_number_mismatch"},
                {6, "id_number", "duplicate_id_number"},
                {7, "id_number", "missing_field"},
                {8, "", "too_many_fields"}};
    assert_int_equal(errors->len, G_N_ELEMENTS(want));
    for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
        e = &g_array_index(errors, yj_import_error_t, i);
        assert_int_equal(e->line, want[i].line);
        assert_string_equal(e->e.field, want[i].field);
        assert_string_equal(e->e.code, want[i].code);
    }
    assert_int_equal(rows->len, 1);
    assert_int_equal(ignored->len, 1);
    assert_string_equal(g_ptr_array_index(ignored, 0), "序号");
    g_ptr_array_free(ignored, TRUE);
    /* Too many rows. */
    g_array_set_size(errors, 0);
    g_array_set_size(rows, 0);
    g_autofree char *two = g_strdup_printf("id_number,name\n%s,a\n%s,b\n", good, id);
    assert_int_equal(yj_member_csv_parse(two, strlen(two), 1, rows, errors, NULL), YJ_ETOOBIG);
    assert_string_equal(g_array_index(errors, yj_import_error_t, 0).e.code, "too_many_rows");
    /* Errors are bounded: parsing stops after YJ_IMPORT_MAX_ERRORS. */
    g_array_set_size(errors, 0);
    g_array_set_size(rows, 0);
    GString *many = g_string_new("id_number,name\n");
    for (int i = 0; i < YJ_IMPORT_MAX_ERRORS + 50; i++)
        g_string_append(many, "bad,x\n");
    assert_int_equal(
        yj_member_csv_parse(many->str, many->len, YJ_IMPORT_MAX_ROWS, rows, errors, NULL),
        YJ_EINVAL);
    assert_int_equal(errors->len, YJ_IMPORT_MAX_ERRORS + 1);
    e = &g_array_index(errors, yj_import_error_t, errors->len - 1);
    assert_string_equal(e->e.code, "too_many_errors");
    assert_int_equal(e->line, YJ_IMPORT_MAX_ERRORS + 1);
    g_string_free(many, TRUE);
    g_array_free(rows, TRUE);
    g_array_free(errors, TRUE);
}

static void summary_from_ledger(void **state)
{
    fx_t *f = *state;
    yj_store_t *st = f->st;
    int year = yj_year_of(yj_now());
    int64_t count = 0, minutes = 0;
    GArray *ranks = g_array_new(FALSE, FALSE, sizeof(yj_rank_t));
    assert_int_equal(yj_store_org_summary(st, f->qingshan.path, year, 100, &count, &minutes, ranks),
                     0);
    assert_int_equal(count, 10);
    assert_int_equal(ranks->len, 10);
    int64_t sum = 0;
    for (guint i = 0; i < ranks->len; i++) {
        yj_rank_t *r = &g_array_index(ranks, yj_rank_t, i);
        assert_int_equal(r->minutes, member_total(st, r->id_number, year));
        sum += r->minutes;
        if (i) {
            yj_rank_t *p = &g_array_index(ranks, yj_rank_t, i - 1);
            assert_true(p->minutes >= r->minutes);
            assert_int_equal(r->rank, p->minutes == r->minutes ? p->rank : (int)i + 1);
        }
    }
    assert_int_equal(sum, minutes);
    assert_true(minutes > 0);
    /* A credit moves the subtree total and the member's rank. */
    const char *last = g_array_index(ranks, yj_rank_t, ranks->len - 1).id_number;
    char last_id[19];
    g_strlcpy(last_id, last, sizeof last_id);
    assert_int_equal(yj_store_credit(st, last_id, "broadcast", "big-event", 1000, "iptv", NULL), 0);
    int64_t minutes2 = 0;
    g_array_set_size(ranks, 0);
    assert_int_equal(
        yj_store_org_summary(st, f->qingshan.path, year, 100, &count, &minutes2, ranks), 0);
    assert_int_equal(minutes2, minutes + 1000);
    assert_string_equal(g_array_index(ranks, yj_rank_t, 0).id_number, last_id);
    assert_int_equal(g_array_index(ranks, yj_rank_t, 0).rank, 1);
    /* The other township did not move; the district saw the sum. */
    int64_t lv_minutes = 0, d_minutes = 0;
    g_array_set_size(ranks, 0);
    assert_int_equal(
        yj_store_org_summary(st, f->lvshui.path, year, 100, &count, &lv_minutes, ranks), 0);
    g_array_set_size(ranks, 0);
    assert_int_equal(yj_store_org_summary(st, f->district.path, year, 3, &count, &d_minutes, ranks),
                     0);
    assert_int_equal(count, 20);
    assert_int_equal(ranks->len, 3);
    assert_int_equal(d_minutes, minutes2 + lv_minutes);
    /* Another year is empty. */
    g_array_set_size(ranks, 0);
    assert_int_equal(
        yj_store_org_summary(st, f->district.path, year - 5, 100, &count, &d_minutes, ranks), 0);
    assert_int_equal(d_minutes, 0);
    assert_int_equal(g_array_index(ranks, yj_rank_t, 19).rank, 1);
    g_array_free(ranks, TRUE);
}

static void member_fields(void **state)
{
    (void)state;
    yj_member_input_t in;
    yj_field_error_t e;
    json_t *b = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b}", "id_number", "11010519491231002x",
                          "name", " 张三 ", "gender", "女", "birth_date", "1949年12月31日",
                          "org_code", "33010101", "status", "正式党员", "migrant", 1);
    assert_int_equal(yj_member_input_from_json(b, NULL, &in, &e), 0);
    assert_string_equal(in.id_number, "11010519491231002X");
    assert_string_equal(in.name, "张三");
    assert_true(in.female);
    assert_string_equal(in.birth_date, "1949-12-31");
    assert_true(in.migrant);
    assert_false(in.probationary);
    json_object_set_new(b, "gender", json_string("male"));
    assert_int_equal(yj_member_input_from_json(b, NULL, &in, &e), YJ_EINVAL);
    assert_string_equal(e.code, "id_number_mismatch");
    assert_string_equal(e.field, "gender");
    json_object_del(b, "gender");
    json_object_set_new(b, "birth_date", json_string("1949-12-30"));
    assert_int_equal(yj_member_input_from_json(b, NULL, &in, &e), YJ_EINVAL);
    assert_string_equal(e.field, "birth_date");
    json_object_del(b, "birth_date");
    /* Update: a different id_number is refused; the path's is used. */
    assert_int_equal(yj_member_input_from_json(b, "330102195603120130", &in, &e), YJ_EINVAL);
    assert_string_equal(e.code, "id_number_immutable");
    json_object_del(b, "id_number");
    assert_int_equal(yj_member_input_from_json(b, "330102195603120130", &in, &e), 0);
    assert_false(in.female);
    json_decref(b);
    char d[11];
    assert_true(yj_date_parse("2001/7/1", d));
    assert_string_equal(d, "2001-07-01");
    assert_true(yj_date_parse("20010701", d));
    assert_true(yj_date_parse("2001.07.01", d));
    assert_false(yj_date_parse("2001-02-29", d));
    assert_false(yj_date_parse("2001-7", d));
    assert_false(yj_date_parse("01-07-2001", d));
    assert_false(yj_date_parse("2001-07-01x", d));
    assert_non_null(yj_text_problem("=HYPERLINK()", 50));
    assert_non_null(yj_text_problem("a\tb", 50));
    assert_non_null(yj_text_problem("\xff", 50));
    assert_null(yj_text_problem("阿依古丽·买买提", 50));
    assert_true(yj_org_code_valid("33010101"));
    assert_false(yj_org_code_valid("330-101"));
    assert_false(yj_org_code_valid(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ledger_uniqueness, setup, teardown),
        cmocka_unit_test_setup_teardown(ledger_credit_in_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(corrections, setup, teardown),
        cmocka_unit_test_setup_teardown(subtree_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(moves_rewrite_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(import_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(summary_from_ledger, setup, teardown),
        cmocka_unit_test(member_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
