/* rule_seq.h - the builtins and methods of rule_seq.c (ranges, dicts,
 * sets, iterators), each a rule_builtin_fn whose row is in
 * rule_builtin.c or rule_method.c. Internal to the rule module. */
#ifndef MC_COMMON_RULE_SEQ_H
#define MC_COMMON_RULE_SEQ_H

#include "rule/rule_builtin.h"

#define RULE_SEQ_FN(name)                                                     \
	bool name(rule_ctx *c, const rule_value *args, size_t nargs,          \
	    rule_value *out)

RULE_SEQ_FN(rule_fn_range);
RULE_SEQ_FN(rule_fn_reversed);
RULE_SEQ_FN(rule_fn_enumerate);
RULE_SEQ_FN(rule_fn_zip);
RULE_SEQ_FN(rule_fn_filter);
RULE_SEQ_FN(rule_fn_map);
RULE_SEQ_FN(rule_fn_set);
RULE_SEQ_FN(rule_fn_frozenset);
RULE_SEQ_FN(rule_fn_dict);
RULE_SEQ_FN(rule_m_get);
RULE_SEQ_FN(rule_m_keys);
RULE_SEQ_FN(rule_m_values);
RULE_SEQ_FN(rule_m_items);

#endif
