/* rule.h - mercure's rule language: a safe subset of Python expressions
 * over an instance's tags, compiled once at config load and evaluated
 * without any interpreter. See docs/rules.md for the grammar. */
#ifndef MC_COMMON_RULE_H
#define MC_COMMON_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/mc_err.h"
#include "tags/tagset.h"

typedef struct rule rule;

/* rule_compile - compile one expression (text[0..len), borrowed). On
 * MC_OK *out is new, freed with rule_free(). On MC_ESYNTAX d->column is
 * the 1-based column within the expression and d->msg says what is
 * wrong; d->file, d->line and d->field are left for the caller (the
 * config loader adds the scalar's position). MC_ENOMEM. Any thread. */
MC_NODISCARD mc_err rule_compile(
    const char *text, size_t len, rule **out, mc_diag *d);
void rule_free(rule *r); /* NULL: no-op */

/* rule_eval - evaluate r on tags. A missing tag makes the whole rule false
 * (mercure's TagNotFoundException), as does a runtime type error (float()
 * of a non-number, ...); *why, when not NULL, then gets a borrowed static
 * or rule-owned text saying which. Returns the truth value. Thread-safe
 * for concurrent evaluations of the same rule. */
bool rule_eval(const rule *r, const mc_tagset *tags, const char **why);

/* rule_tag_count, rule_tag_at - the tag names r reads, in first-use order
 * (for --test-rule and for reporting). */
size_t      rule_tag_count(const rule *r);
const char *rule_tag_at(const rule *r, size_t i);

/* rule_tag_read - the value that r's i-th tag name reads in tags, found
 * as the evaluation finds it (tags.modality falls back to Modality), or
 * NULL when missing; *key (may be NULL) gets the key found. */
const char *rule_tag_read(
    const rule *r, size_t i, const mc_tagset *tags, const char **key);

/* rule_series_match - mercure's study_trigger_series: an expression of
 * quoted series descriptions with and/or/not and parentheses ("'Axial T2'
 * and ('Sag T1 GRE' or 'Sag T1 TSE')"), true when the received series
 * descriptions satisfy it. Compiled with rule_compile_series(). */
MC_NODISCARD mc_err rule_compile_series(
    const char *text, size_t len, rule **out, mc_diag *d);
bool rule_series_match(
    const rule *r, const char *const *descriptions, size_t n);

/* rule_starts_indented - the first line that is not blank starts with a
 * space or tab: rule_compile refuses it, and mercure's evaluation raises
 * IndentationError, so mercure never triggers such a rule. */
bool rule_starts_indented(const char *text);

#endif
