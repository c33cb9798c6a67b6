/* rule_text.h - string methods beyond the basic eight, with Python 3's
 * results on Unicode text: find rfind index rindex count replace, the
 * is* tests, and lower()/upper() by Unicode case mapping (glibc's
 * C.UTF-8 tables plus Python's special cases). Each is a rule_builtin_fn
 * whose row is in rule_method.c. Internal to the rule module. */
#ifndef MC_COMMON_RULE_TEXT_H
#define MC_COMMON_RULE_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/utf8.h"

#include "rule/rule_builtin.h"

#define RULE_TEXT_FN(name)                                                    \
	bool name(rule_ctx *c, const rule_value *args, size_t nargs,          \
	    rule_value *out)

RULE_TEXT_FN(rule_m_lower);
RULE_TEXT_FN(rule_m_upper);
RULE_TEXT_FN(rule_m_find);
RULE_TEXT_FN(rule_m_rfind);
RULE_TEXT_FN(rule_m_index);
RULE_TEXT_FN(rule_m_rindex);
RULE_TEXT_FN(rule_m_count);
RULE_TEXT_FN(rule_m_replace);
RULE_TEXT_FN(rule_m_isdigit);
RULE_TEXT_FN(rule_m_isdecimal);
RULE_TEXT_FN(rule_m_isnumeric);
RULE_TEXT_FN(rule_m_isalpha);
RULE_TEXT_FN(rule_m_isalnum);
RULE_TEXT_FN(rule_m_isspace);
RULE_TEXT_FN(rule_m_islower);
RULE_TEXT_FN(rule_m_isupper);
RULE_TEXT_FN(rule_m_isascii);
/* rule_shape.c */
RULE_TEXT_FN(rule_m_join);
RULE_TEXT_FN(rule_m_ljust);
RULE_TEXT_FN(rule_m_rjust);
RULE_TEXT_FN(rule_m_center);
RULE_TEXT_FN(rule_m_zfill);
RULE_TEXT_FN(rule_m_partition);
RULE_TEXT_FN(rule_m_rpartition);
RULE_TEXT_FN(rule_m_removeprefix);
RULE_TEXT_FN(rule_m_removesuffix);
RULE_TEXT_FN(rule_m_capitalize);
RULE_TEXT_FN(rule_m_title);
RULE_TEXT_FN(rule_m_swapcase);
RULE_TEXT_FN(rule_m_casefold);
RULE_TEXT_FN(rule_m_istitle);
RULE_TEXT_FN(rule_m_isprintable);
RULE_TEXT_FN(rule_m_isidentifier);
RULE_TEXT_FN(rule_m_splitlines);
RULE_TEXT_FN(rule_m_expandtabs);

/* rule_utf8_decode - the code point at s[0..n) and its length in *len;
 * a byte that is not valid UTF-8 reads as itself. */
uint32_t rule_utf8_decode(const char *s, size_t n, size_t *len);
/* rule_map_case - cp's simple upper (or lower) case mapping */
uint32_t rule_map_case(uint32_t cp, bool upper);
/* rule_cp_alpha - a letter, as str.isalpha() sees one */
bool rule_cp_alpha(uint32_t cp);
/* rule_cp_printable - Python's str.isprintable() of one code point */
bool rule_cp_printable(uint32_t cp);

#endif
