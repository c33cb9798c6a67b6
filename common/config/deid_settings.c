/* deid_settings.c - the deidentify module's settings from their JSON text
 * (deid_settings.h), with every check that needs no file: the config
 * check and the worker run the same code. */
#include "config/deid_settings.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const OPTION_NAMES[] = {
#define DEID_OPT_NAME(id, name) name,
    DEID_OPTIONS(DEID_OPT_NAME)
#undef DEID_OPT_NAME
};

static const char *const KEYS[] = {"options", "secret_file", "secret_env",
    "patient_id", "patient_name", "lookup_table", "lookup_missing",
    "mapping_file", "keep_private", "allow_burned_in", "date_shift_max_days",
    NULL};

const char *
deid_option_name(unsigned bit)
{
	return bit < DEID_OPT_COUNT ? OPTION_NAMES[bit] : "";
}

static mc_err
bad(char *err, size_t errlen, const char *key, const char *why)
{
	mc_errf(err, errlen, "deidentify setting %s: %s", key, why);
	return MC_ECONFIG;
}

static mc_err
get_text(json_t *o, const char *key, char *buf, size_t len, char *err,
    size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL || json_is_null(v))
		return MC_OK;
	if (!json_is_string(v))
		return bad(err, errlen, key, "must be text");
	if (json_string_length(v) >= len)
		return bad(err, errlen, key, "is too long");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bad(err, errlen, key, "holds a NUL byte");
	snprintf(buf, len, "%s", json_string_value(v));
	return MC_OK;
}

static mc_err
get_options(json_t *o, unsigned *out, char *err, size_t errlen)
{
	json_t *list = json_object_get(o, "options"), *v;
	size_t  i;

	*out = 0;
	if (list == NULL || json_is_null(list))
		return MC_OK;
	if (!json_is_array(list))
		return bad(err, errlen, "options", "must be a list of names");
	json_array_foreach(list, i, v)
	{
		unsigned bit = 0;
		while (bit < DEID_OPT_COUNT && json_is_string(v) &&
		       strcmp(json_string_value(v), OPTION_NAMES[bit]) != 0)
			bit++;
		if (bit == DEID_OPT_COUNT || !json_is_string(v)) {
			mc_errf(err, errlen,
			    "deidentify setting options: item %zu is not one "
			    "of retain_full_dates, retain_modified_dates, "
			    "clean_descriptors, retain_uids, "
			    "retain_device_identity, "
			    "retain_patient_characteristics, "
			    "retain_institution_identity, clean_graphics",
			    i + 1);
			return MC_ECONFIG;
		}
		*out |= 1u << bit;
	}
	if ((*out & DEID_OPT(RETAIN_FULL_DATES)) &&
	    (*out & DEID_OPT(RETAIN_MODIFIED_DATES)))
		return bad(err, errlen, "options",
		    "retain_full_dates and retain_modified_dates exclude each "
		    "other");
	return MC_OK;
}

/* "gggg,eeee" or "(gggg,eeee)" with an odd group and an element in a
 * private block (xx10..xxFF) */
static bool
parse_private(const char *s, uint32_t *out)
{
	char     hex[10];
	size_t   n = strlen(s);
	unsigned g, e;

	if (n == 11 && s[0] == '(' && s[10] == ')') {
		memcpy(hex, s + 1, 9);
		hex[9] = '\0';
	} else if (n == 9) {
		memcpy(hex, s, 10);
	} else {
		return false;
	}
	for (size_t i = 0; i < 9; i++)
		if (i == 4 ? hex[i] != ',' : !isxdigit((unsigned char) hex[i]))
			return false;
	if (sscanf(hex, "%4x,%4x", &g, &e) != 2)
		return false;
	if ((g & 1) == 0 || g <= 0x0007 || g == 0xFFFF || (e >> 8) < 0x10)
		return false;
	*out = (g << 16) | e;
	return true;
}

static mc_err
get_private(json_t *o, deid_settings *s, char *err, size_t errlen)
{
	json_t *list = json_object_get(o, "keep_private"), *v;
	size_t  i;

	if (list == NULL || json_is_null(list))
		return MC_OK;
	if (!json_is_array(list))
		return bad(err, errlen, "keep_private",
		    "must be a list of \"gggg,eeee\"");
	if (json_array_size(list) > DEID_KEEP_PRIVATE_MAX)
		return bad(err, errlen, "keep_private", "has too many tags");
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v) || !parse_private(json_string_value(v),
		                              &s->keep_private[i])) {
			mc_errf(err, errlen,
			    "deidentify setting keep_private: item %zu is not "
			    "a private data element \"gggg,eeee\" (odd group, "
			    "element xx10..xxFF)",
			    i + 1);
			return MC_ECONFIG;
		}
	}
	s->n_keep_private = json_array_size(list);
	return MC_OK;
}

/* printable ASCII without '\' (the value separator), and no brace but
 * those of {hash}; the longest expansion fits a LO value */
static mc_err
check_pattern(const char *key, const char *p, char *err, size_t errlen)
{
	size_t len = 0;

	if (p[0] == '\0')
		return bad(err, errlen, key, "must not be empty");
	for (size_t i = 0; p[i] != '\0'; i++) {
		if (strncmp(p + i, DEID_PATTERN_HASH,
		        strlen(DEID_PATTERN_HASH)) == 0) {
			i += strlen(DEID_PATTERN_HASH) - 1;
			len += DEID_HASH_HEX_LEN;
			continue;
		}
		if (p[i] < 0x20 || p[i] > 0x7e || p[i] == '\\' ||
		    p[i] == '{' || p[i] == '}')
			return bad(err, errlen, key,
			    "may hold printable ASCII and {hash} only");
		len++;
	}
	if (len > DEID_PATTERN_SIZE - 1)
		return bad(err, errlen, key, "gives more than 64 characters");
	return MC_OK;
}

static mc_err
get_number(json_t *o, deid_settings *s, char *err, size_t errlen)
{
	json_t   *v = json_object_get(o, "date_shift_max_days");
	long long n;
	char     *end = NULL;

	if (v == NULL || json_is_null(v))
		return MC_OK;
	if (json_is_integer(v)) {
		n = json_integer_value(v);
	} else if (json_is_string(v)) {
		n = strtoll(json_string_value(v), &end, 10);
		if (end == json_string_value(v) || *end != '\0')
			n = -1;
	} else {
		n = -1;
	}
	if (n < 1 || n > DEID_SHIFT_MAX_DAYS_LIMIT)
		return bad(err, errlen, "date_shift_max_days",
		    "must be a whole number of days, 1..36500");
	s->date_shift_max_days = (unsigned) n;
	return MC_OK;
}

static mc_err
get_flags(json_t *o, deid_settings *s, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, "allow_burned_in");
	char    missing[16] = "fail";
	mc_err  rv;

	if (v != NULL && !json_is_null(v)) {
		if (json_is_boolean(v))
			s->allow_burned_in = json_is_true(v);
		else if (json_is_string(v) &&
		         (strcmp(json_string_value(v), "true") == 0 ||
		             strcmp(json_string_value(v), "false") == 0))
			s->allow_burned_in =
			    strcmp(json_string_value(v), "true") == 0;
		else
			return bad(err, errlen, "allow_burned_in",
			    "must be true or false");
	}
	rv = get_text(
	    o, "lookup_missing", missing, sizeof(missing), err, errlen);
	if (rv != MC_OK)
		return rv;
	if (strcmp(missing, "pattern") == 0)
		s->lookup_fallback = true;
	else if (strcmp(missing, "fail") != 0)
		return bad(err, errlen, "lookup_missing",
		    "must be \"fail\" or \"pattern\"");
	return MC_OK;
}

static mc_err
check_keys(json_t *o, char *err, size_t errlen)
{
	const char *key;
	json_t     *v;

	json_object_foreach(o, key, v)
	{
		size_t i = 0;
		if (strcmp(key, "secret") == 0)
			return bad(err, errlen, "secret",
			    "the key must not be written in the settings "
			    "(they are copied into task.json): name a file "
			    "with secret_file or a variable with secret_env");
		while (KEYS[i] != NULL && strcmp(KEYS[i], key) != 0)
			i++;
		if (KEYS[i] == NULL) {
			mc_errf(err, errlen,
			    "deidentify: unknown setting '%.64s'", key);
			return MC_ECONFIG;
		}
	}
	return MC_OK;
}

static mc_err
get_texts(json_t *o, deid_settings *s, char *err, size_t errlen)
{
	mc_err rv;

	if ((rv = get_text(o, "secret_file", s->secret_file,
	         sizeof(s->secret_file), err, errlen)) != MC_OK ||
	    (rv = get_text(o, "secret_env", s->secret_env,
	         sizeof(s->secret_env), err, errlen)) != MC_OK ||
	    (rv = get_text(o, "patient_id", s->patient_id,
	         sizeof(s->patient_id), err, errlen)) != MC_OK ||
	    (rv = get_text(o, "patient_name", s->patient_name,
	         sizeof(s->patient_name), err, errlen)) != MC_OK ||
	    (rv = get_text(o, "lookup_table", s->lookup_table,
	         sizeof(s->lookup_table), err, errlen)) != MC_OK ||
	    (rv = get_text(o, "mapping_file", s->mapping_file,
	         sizeof(s->mapping_file), err, errlen)) != MC_OK)
		return rv;
	if (s->secret_file[0] == '\0' && s->secret_env[0] == '\0')
		return bad(err, errlen, "secret_file",
		    "the key for UIDs and hashes is needed: set secret_file "
		    "or secret_env");
	if (s->secret_file[0] != '\0' && s->secret_env[0] != '\0')
		return bad(err, errlen, "secret_file",
		    "set secret_file or secret_env, not both");
	if ((rv = check_pattern("patient_id", s->patient_id, err, errlen)) !=
	    MC_OK)
		return rv;
	return check_pattern("patient_name", s->patient_name, err, errlen);
}

static void
defaults(deid_settings *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->patient_id, sizeof(s->patient_id), "ANON-%s",
	    DEID_PATTERN_HASH);
	snprintf(s->patient_name, sizeof(s->patient_name), "ANONYMOUS^%s",
	    DEID_PATTERN_HASH);
	s->date_shift_max_days = DEID_SHIFT_MAX_DAYS_DEFAULT;
}

mc_err
deid_settings_parse(
    const char *json, deid_settings *out, char *err, size_t errlen)
{
	json_t *o;
	mc_err  rv;

	defaults(out);
	if (json == NULL || json[0] == '\0')
		json = "{}";
	o = json_loads(json, JSON_DECODE_ANY, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return bad(err, errlen, "settings", "must be a mapping");
	}
	if ((rv = check_keys(o, err, errlen)) == MC_OK &&
	    (rv = get_options(o, &out->options, err, errlen)) == MC_OK &&
	    (rv = get_texts(o, out, err, errlen)) == MC_OK &&
	    (rv = get_private(o, out, err, errlen)) == MC_OK &&
	    (rv = get_number(o, out, err, errlen)) == MC_OK)
		rv = get_flags(o, out, err, errlen);
	json_decref(o);
	return rv;
}
