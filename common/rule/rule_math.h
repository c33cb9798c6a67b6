/* rule_math.h - the numeric functions of the rule language that mercure's
 * safe mode offers (round sum any all pow, and the math functions of its
 * safe_eval_cmds: sqrt ceil floor ..., and divmod hex oct bin chr ord),
 * each a rule_builtin_fn whose row
 * is in rule_builtin.c. Internal to the rule module. */
#ifndef MC_COMMON_RULE_MATH_H
#define MC_COMMON_RULE_MATH_H

#include "rule/rule_builtin.h"

#define RULE_MATH_FN(name)                                                    \
	bool name(rule_ctx *c, const rule_value *args, size_t nargs,          \
	    rule_value *out)

RULE_MATH_FN(rule_fn_round);
RULE_MATH_FN(rule_fn_sum);
RULE_MATH_FN(rule_fn_any);
RULE_MATH_FN(rule_fn_all);
RULE_MATH_FN(rule_fn_pow);
RULE_MATH_FN(rule_fn_sqrt);
RULE_MATH_FN(rule_fn_exp);
RULE_MATH_FN(rule_fn_log);
RULE_MATH_FN(rule_fn_log10);
RULE_MATH_FN(rule_fn_log2);
RULE_MATH_FN(rule_fn_sin);
RULE_MATH_FN(rule_fn_cos);
RULE_MATH_FN(rule_fn_tan);
RULE_MATH_FN(rule_fn_asin);
RULE_MATH_FN(rule_fn_acos);
RULE_MATH_FN(rule_fn_atan);
RULE_MATH_FN(rule_fn_atan2);
RULE_MATH_FN(rule_fn_fabs);
RULE_MATH_FN(rule_fn_ceil);
RULE_MATH_FN(rule_fn_floor);
RULE_MATH_FN(rule_fn_trunc);
RULE_MATH_FN(rule_fn_isinf);
RULE_MATH_FN(rule_fn_isnan);
RULE_MATH_FN(rule_fn_factorial);
RULE_MATH_FN(rule_fn_divmod);
RULE_MATH_FN(rule_fn_hex);
RULE_MATH_FN(rule_fn_oct);
RULE_MATH_FN(rule_fn_bin);
RULE_MATH_FN(rule_fn_chr);
RULE_MATH_FN(rule_fn_ord);

#endif
