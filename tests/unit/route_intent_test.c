/* route_intent_test.c - the routing write-ahead record: what is written
 * reads back field by field, a record cut short anywhere or damaged is
 * refused with MC_EPARSE and leaves the reader's struct empty, and the
 * reader keeps to its limits whatever the file holds. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "check_tmpdir.h"

#include "core/route_intent.h"
#include "os/sys_fs.h"

#define ID_A "0b8f5c2e-6f41-11ef-8000-0242ac120002"
#define ID_B "0b8f5c2e-6f41-11ef-8000-0242ac120003"
#define TASK_A "{\"id\": \"" ID_A "\",\n \"note\": \"quote \\\" \\u00e9\"}"
#define OVERSIZED_ENTRIES (ROUTE_INTENT_MAX_ENTRIES + 6)

static char path[128];

static void
setup(void)
{
	mc_check_tmpdir_setup();
	snprintf(path, sizeof(path), "%s/.route.json", mc_check_tmpdir);
}

static void
put_text(const char *p, const char *text, size_t len)
{
	FILE *f = fopen(p, "wb");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

static void
set_entry(intent_entry *e, const char *id, const char *dest,
    const char *study_rule, const char *rule_name, const char *task)
{
	snprintf(e->id, sizeof(e->id), "%s", id);
	snprintf(e->dest, sizeof(e->dest), "%s", dest);
	snprintf(e->study_rule, sizeof(e->study_rule), "%s", study_rule);
	snprintf(e->rule, sizeof(e->rule), "%s", rule_name);
	e->task_json = task ? strdup(task) : NULL;
	if (task)
		ck_assert_ptr_nonnull(e->task_json);
}

/* full_intent - a decision with every kind of entry: a task, a discard
 * without rule, a study collection */
static void
full_intent(route_intent *ri)
{
	route_intent_init(ri);
	snprintf(ri->series, sizeof(ri->series), "1.2.840.1.2.3");
	snprintf(ri->study, sizeof(ri->study), "1.2.840.1.2");
	ck_assert_int_eq(route_intent_add_sop(ri, "1.2.840.1.2.3.1"), MC_OK);
	ck_assert_int_eq(route_intent_add_sop(ri, "1.2.840.1.2.3.2"), MC_OK);
	ck_assert_int_eq(route_intent_add_sop(ri, "1.2.840.1.2.3.3"), MC_OK);
	ck_assert_int_eq(mc_tagset_create(&ri->tags), MC_OK);
	ck_assert_int_eq(mc_tagset_set(ri->tags, "Modality", "MR"), MC_OK);
	ck_assert_int_eq(
	    mc_tagset_set(ri->tags, "PatientName", "M\xc3\xbcller^\"J\"\\x"),
	    MC_OK);
	ck_assert_int_eq(mc_tagset_set(ri->tags, "(0019,10aa)", ""), MC_OK);
	set_entry(&ri->entries[0], ID_A, "tasks", "", "mr-route", TASK_A);
	set_entry(&ri->entries[1], ID_B, "discard", "", "", "{}");
	set_entry(&ri->entries[2], "", "", "mr-study", "", NULL);
	ri->entries[0].stream = true;
	ri->n_entries = 3;
}

/* write_read - w written to path and read back into r (made here) */
static void
write_read(const route_intent *w, route_intent *r)
{
	ck_assert_int_eq(route_intent_write(w, path), MC_OK);
	route_intent_init(r);
	ck_assert_int_eq(route_intent_read(path, r), MC_OK);
}

static void
assert_empty(const route_intent *ri)
{
	ck_assert_str_eq(ri->series, "");
	ck_assert_str_eq(ri->study, "");
	ck_assert_uint_eq(ri->n_sops, 0);
	ck_assert_ptr_null(ri->sops);
	ck_assert_ptr_null(ri->tags);
	ck_assert_uint_eq(ri->n_entries, 0);
}

START_TEST(a_full_intent_reads_back_field_by_field)
{
	route_intent w, r;

	full_intent(&w);
	write_read(&w, &r);
	ck_assert_str_eq(r.series, "1.2.840.1.2.3");
	ck_assert_str_eq(r.study, "1.2.840.1.2");
	ck_assert_uint_eq(r.n_sops, 3);
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(r.sops[i], w.sops[i]);
	ck_assert_uint_eq(mc_tagset_count(r.tags), 3);
	ck_assert_str_eq(mc_tagset_get(r.tags, "Modality"), "MR");
	ck_assert_str_eq(
	    mc_tagset_get(r.tags, "PatientName"), "M\xc3\xbcller^\"J\"\\x");
	ck_assert_str_eq(mc_tagset_get(r.tags, "(0019,10aa)"), "");
	ck_assert_uint_eq(r.n_entries, 3);
	for (size_t i = 0; i < 3; i++) {
		const intent_entry *a = &w.entries[i], *b = &r.entries[i];
		ck_assert_str_eq(b->id, a->id);
		ck_assert_str_eq(b->dest, a->dest);
		ck_assert_str_eq(b->study_rule, a->study_rule);
		ck_assert_str_eq(b->rule, a->rule);
		ck_assert_int_eq(b->stream, a->stream);
	}
	ck_assert(r.entries[0].stream);
	ck_assert_str_eq(r.entries[0].task_json, TASK_A);
	ck_assert_str_eq(r.entries[1].task_json, "{}");
	ck_assert_ptr_null(r.entries[2].task_json);
	route_intent_fini(&w);
	route_intent_fini(&r);
}
END_TEST

START_TEST(an_intent_with_nothing_in_it_reads_back_empty)
{
	route_intent w, r;

	route_intent_init(&w);
	snprintf(w.series, sizeof(w.series), "1.2.3");
	write_read(&w, &r);
	ck_assert_str_eq(r.series, "1.2.3");
	ck_assert_str_eq(r.study, "");
	ck_assert_uint_eq(r.n_sops, 0);
	ck_assert_ptr_nonnull(r.tags);
	ck_assert_uint_eq(mc_tagset_count(r.tags), 0);
	ck_assert_uint_eq(r.n_entries, 0);
	route_intent_fini(&w);
	route_intent_fini(&r);
}
END_TEST

START_TEST(a_record_cut_short_anywhere_is_refused_and_fills_nothing)
{
	route_intent w, r;
	char         cut[128], *text = NULL;
	size_t       len = 0;

	full_intent(&w);
	ck_assert_int_eq(route_intent_write(&w, path), MC_OK);
	ck_assert_int_eq(sys_read_file(path, &text, &len), MC_OK);
	ck_assert_uint_gt(len, 100);
	snprintf(cut, sizeof(cut), "%s/cut.json", mc_check_tmpdir);
	for (size_t n = 0; n < len; n++) {
		put_text(cut, text, n);
		route_intent_init(&r);
		ck_assert_msg(route_intent_read(cut, &r) == MC_EPARSE,
		    "a record cut to %zu of %zu bytes was read", n, len);
		assert_empty(&r);
		route_intent_fini(&r);
	}
	put_text(cut, text, len); /* whole again: read */
	route_intent_init(&r);
	ck_assert_int_eq(route_intent_read(cut, &r), MC_OK);
	ck_assert_uint_eq(r.n_entries, 3);
	route_intent_fini(&r);
	free(text);
	route_intent_fini(&w);
}
END_TEST

START_TEST(damaged_bytes_and_missing_files_are_refused)
{
	static const char *const bad[] = {
	    "",
	    "not json",
	    "{\"series\": \"1.2.3\",}",
	    "{\"series\": \"1.2.3\"}{\"series\": \"1.2.4\"}",
	    "{\"series\": \"1.2\x01.3\"}",
	    "\xff\xfe{}",
	    "{\"series\": \"1.2.3\", \"sops\": [\"1\" \"2\"]}",
	};
	static const char nul[] = "{\"series\": \"1.2\0.3\"}";
	route_intent      r;
	char              missing[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_text(path, bad[i], strlen(bad[i]));
		route_intent_init(&r);
		ck_assert_msg(route_intent_read(path, &r) == MC_EPARSE,
		    "case %zu was read", i);
		assert_empty(&r);
	}
	put_text(path, nul, sizeof(nul) - 1);
	route_intent_init(&r);
	ck_assert_int_eq(route_intent_read(path, &r), MC_EPARSE);
	assert_empty(&r);
	snprintf(missing, sizeof(missing), "%s/none.json", mc_check_tmpdir);
	ck_assert_int_eq(route_intent_read(missing, &r), MC_EPARSE);
	assert_empty(&r);
}
END_TEST

/* A well-formed record of the wrong shape is read as far as it goes:
 * its series is then "" or another UID, which the router compares with
 * the folder the record lies in before it acts on it. */
START_TEST(a_record_of_the_wrong_shape_names_no_series)
{
	static const char *const odd[] = {
	    "{}", "[]", "{\"series\": 5}", "{\"sops\": {}, \"plan\": 1}"};
	route_intent r;

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		put_text(path, odd[i], strlen(odd[i]));
		route_intent_init(&r);
		ck_assert_int_eq(route_intent_read(path, &r), MC_OK);
		ck_assert_str_eq(r.series, "");
		ck_assert_uint_eq(r.n_sops, 0);
		ck_assert_uint_eq(r.n_entries, 0);
		route_intent_fini(&r);
	}
}
END_TEST

START_TEST(values_of_the_wrong_type_are_skipped)
{
	static const char text[] =
	    "{\"series\": \"1.2.3\", \"sops\": [1, \"a\", null, \"b\", {}],"
	    " \"tags\": {\"A\": \"x\", \"B\": 5, \"C\": null},"
	    " \"plan\": [{\"id\": 7, \"dest\": \"tasks\", \"task\": 3}]}";
	route_intent r;

	put_text(path, text, strlen(text));
	route_intent_init(&r);
	ck_assert_int_eq(route_intent_read(path, &r), MC_OK);
	ck_assert_uint_eq(r.n_sops, 2);
	ck_assert_str_eq(r.sops[0], "a");
	ck_assert_str_eq(r.sops[1], "b");
	ck_assert_uint_eq(mc_tagset_count(r.tags), 1);
	ck_assert_str_eq(mc_tagset_get(r.tags, "A"), "x");
	ck_assert_uint_eq(r.n_entries, 1);
	ck_assert_str_eq(r.entries[0].id, "");
	ck_assert_str_eq(r.entries[0].dest, "tasks");
	ck_assert_ptr_null(r.entries[0].task_json);
	route_intent_fini(&r);
}
END_TEST

START_TEST(the_reader_keeps_to_its_entry_and_field_limits)
{
	char         rule_name[300], *text, *p;
	size_t       cap = 64 * 1024;
	route_intent r;

	memset(rule_name, 'r', sizeof(rule_name) - 1);
	rule_name[sizeof(rule_name) - 1] = '\0';
	ck_assert_ptr_nonnull(text = malloc(cap));
	p = text + snprintf(text, cap, "{\"series\": \"1.2.3\", \"plan\": [");
	for (int i = 0; i < OVERSIZED_ENTRIES; i++)
		p += snprintf(p, cap - (size_t) (p - text),
		    "%s{\"id\": \"id-%d\", \"dest\": "
		    "\"a-destination-far-too-long\", \"rule\": \"%s\"}",
		    i ? ", " : "", i, rule_name);
	snprintf(p, cap - (size_t) (p - text), "]}");
	put_text(path, text, strlen(text));
	route_intent_init(&r);
	ck_assert_int_eq(route_intent_read(path, &r), MC_OK);
	ck_assert_uint_eq(r.n_entries, ROUTE_INTENT_MAX_ENTRIES);
	ck_assert_str_eq(r.entries[0].id, "id-0");
	ck_assert_str_eq(r.entries[ROUTE_INTENT_MAX_ENTRIES - 1].id, "id-63");
	ck_assert_uint_eq(
	    strlen(r.entries[5].dest), sizeof(r.entries[5].dest) - 1);
	ck_assert_uint_eq(
	    strlen(r.entries[5].rule), sizeof(r.entries[5].rule) - 1);
	ck_assert(strncmp(r.entries[5].dest, "a-destination-far-too-long",
	              sizeof(r.entries[5].dest) - 1) == 0);
	route_intent_fini(&r);
	free(text);
}
END_TEST

START_TEST(a_full_plan_of_entries_round_trips)
{
	route_intent w, r;
	char         id[MC_TASK_ID_LEN + 1], name[32];

	route_intent_init(&w);
	snprintf(w.series, sizeof(w.series), "1.2.3");
	for (int i = 0; i < ROUTE_INTENT_MAX_ENTRIES; i++) {
		snprintf(id, sizeof(id),
		    "0b8f5c2e-6f41-11ef-8000-0242ac12%04x", (unsigned) i);
		snprintf(name, sizeof(name), "rule-%d", i);
		set_entry(&w.entries[i], id, "tasks", "", name, id);
	}
	w.n_entries = ROUTE_INTENT_MAX_ENTRIES;
	write_read(&w, &r);
	ck_assert_uint_eq(r.n_entries, ROUTE_INTENT_MAX_ENTRIES);
	for (int i = 0; i < ROUTE_INTENT_MAX_ENTRIES; i++) {
		ck_assert_str_eq(r.entries[i].id, w.entries[i].id);
		ck_assert_str_eq(r.entries[i].rule, w.entries[i].rule);
		ck_assert_str_eq(r.entries[i].task_json, w.entries[i].id);
	}
	route_intent_fini(&w);
	route_intent_fini(&r);
}
END_TEST

static int
not_dot(const struct dirent *de)
{
	return strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
}

/* count_entries - the names in the temp folder */
static size_t
count_entries(void)
{
	struct dirent **names = NULL;
	int             n = scandir(mc_check_tmpdir, &names, not_dot, NULL);

	ck_assert_int_ge(n, 0);
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (size_t) n;
}

START_TEST(writing_again_replaces_the_whole_record_and_leaves_no_temp_file)
{
	route_intent w, r;
	char         nowhere[160];

	full_intent(&w);
	ck_assert_int_eq(route_intent_write(&w, path), MC_OK);
	route_intent_fini(&w);
	snprintf(w.series, sizeof(w.series), "1.2.4");
	ck_assert_int_eq(route_intent_add_sop(&w, "9"), MC_OK);
	write_read(&w, &r);
	ck_assert_uint_eq(count_entries(), 1);
	ck_assert_str_eq(r.series, "1.2.4");
	ck_assert_uint_eq(r.n_sops, 1);
	ck_assert_str_eq(r.sops[0], "9");
	ck_assert_uint_eq(mc_tagset_count(r.tags), 0);
	ck_assert_uint_eq(r.n_entries, 0);
	route_intent_fini(&r);
	/* a folder that is not there: an error, and nothing written */
	snprintf(
	    nowhere, sizeof(nowhere), "%s/gone/.route.json", mc_check_tmpdir);
	ck_assert_int_ne(route_intent_write(&w, nowhere), MC_OK);
	ck_assert_uint_eq(count_entries(), 1);
	route_intent_fini(&w);
}
END_TEST

START_TEST(sops_are_copied_and_fini_leaves_an_empty_intent)
{
	route_intent ri;
	char         sop[16] = "1.2.3.4";

	full_intent(&ri);
	ck_assert_int_eq(route_intent_add_sop(&ri, sop), MC_OK);
	sop[0] = '9';
	ck_assert_uint_eq(ri.n_sops, 4);
	ck_assert_str_eq(ri.sops[3], "1.2.3.4");
	route_intent_fini(&ri);
	assert_empty(&ri);
	route_intent_fini(&ri); /* twice: harmless */
	assert_empty(&ri);
}
END_TEST

int
main(void)
{
	Suite       *s = suite_create("route_intent");
	const TTest *round_trip[] = {a_full_intent_reads_back_field_by_field,
	    an_intent_with_nothing_in_it_reads_back_empty,
	    a_full_plan_of_entries_round_trips,
	    writing_again_replaces_the_whole_record_and_leaves_no_temp_file,
	    sops_are_copied_and_fini_leaves_an_empty_intent, NULL};
	const TTest *refused[] = {
	    a_record_cut_short_anywhere_is_refused_and_fills_nothing,
	    damaged_bytes_and_missing_files_are_refused,
	    a_record_of_the_wrong_shape_names_no_series,
	    values_of_the_wrong_type_are_skipped,
	    the_reader_keeps_to_its_entry_and_field_limits, NULL};

	mc_check_fixture_tcase(
	    s, "round trip", round_trip, setup, mc_check_tmpdir_teardown);
	tcase_set_timeout(mc_check_fixture_tcase(s, "damaged records", refused,
	                      setup, mc_check_tmpdir_teardown),
	    30);
	return mc_check_run(s);
}
