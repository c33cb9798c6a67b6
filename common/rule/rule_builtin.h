/* rule_builtin.h - the rule language's functions (bool, int, ...) and
 * string methods (lower, split, ...) as two tables, one row each: the
 * parser finds a name and checks the number of arguments against the
 * row, the evaluator calls the row's function. A new builtin is one row
 * and one function (docs/internals/adding-a-rule-builtin.md). This header
 * lists the tables for the rule module and for tests; the values a
 * function works on are the module's own (rule_int.h). */
#ifndef MC_COMMON_RULE_BUILTIN_H
#define MC_COMMON_RULE_BUILTIN_H

#include <stdbool.h>
#include <stddef.h>

/* max_args of a builtin that takes any number (min, max) */
#define RULE_ANY_ARGS ((size_t) -1)

typedef struct rule_ctx   rule_ctx;   /* one evaluation (rule_int.h) */
typedef struct rule_value rule_value; /* a runtime value (rule_int.h) */

/* rule_builtin_fn - evaluate one call on args[0..nargs), already
 * evaluated; for a method args[0] is the receiver and nargs counts it.
 * The parser has checked nargs against the row. Sets *out and returns
 * true, or returns false after rule_fail() (a static text naming
 * Python's exception). Strings may be views into args; new text comes
 * from rule_scratch_alloc(). Runs in the evaluating thread; must not
 * write anything but c and *out. */
typedef bool (*rule_builtin_fn)(
    rule_ctx *c, const rule_value *args, size_t nargs, rule_value *out);

typedef struct rule_builtin {
	const char *name;
	/* arguments between the parentheses (a method's receiver is not
	 * counted); max_args may be RULE_ANY_ARGS */
	size_t          min_args, max_args;
	rule_builtin_fn fn;
	/* tags_fn - called instead of fn, with no arguments, when the one
	 * argument is the bare name tags (len(tags)); NULL: tags is not a
	 * value there, and the compiler says so */
	rule_builtin_fn tags_fn;
	/* params - the keyword names of the argument slots, space separated
	 * as in Python's signature: "-" a positional-only slot, "name" one
	 * that may also be given as name=..., "*name" a keyword-only one;
	 * NULL: every slot is positional-only. A slot left out before one
	 * given by keyword gets None, which each such function reads as its
	 * default. */
	const char *params;
	/* fnargs - bit i set: slot i may be a function named without a call
	 * (map(int, x)) or None (filter(None, x)) */
	unsigned fnargs;
} rule_builtin;

/* rule_functions, rule_methods - the tables (static, never NULL); *n
 * gets the number of rows. */
const rule_builtin *rule_functions(size_t *n);
const rule_builtin *rule_methods(size_t *n);

/* rule_builtin_find - the row named name[0..len) of the table that
 * table (rule_functions or rule_methods) gives; NULL when there is
 * none. */
const rule_builtin *rule_builtin_find(
    const rule_builtin *(*table)(size_t *n), const char *name, size_t len);

#endif
