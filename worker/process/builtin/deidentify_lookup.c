/* deidentify_lookup.c - the site's table of new patient identities: a
 * CSV file with original_patient_id,new_patient_id[,new_patient_name]
 * per line, loaded once per task. Nothing of its content reaches an
 * error text: errors name the line number. */
#include "process/builtin/deidentify_int.h"

#include <stdlib.h>
#include <string.h>

#include "os/sys_fs.h"

#define DEID_LOOKUP_MAX_BYTES (64u << 20)
#define DEID_LOOKUP_FIELDS 3
#define DEID_LOOKUP_HEADER "original_patient_id"

typedef struct deid_entry {
	char *old_id, *new_id, *new_name; /* into the text */
} deid_entry;

struct deid_lookup {
	char       *text; /* the file, split in place */
	size_t      len;
	deid_entry *e;
	size_t      n, cap;
};

void
deid_lookup_destroy(deid_lookup *l)
{
	if (l == NULL)
		return;
	if (l->text != NULL)
		memset(l->text, 0, l->len);
	free(l->text);
	free(l->e);
	free(l);
}

/* one field at *p: quoted ("" is a quote) or up to the next comma; the
 * text is rewritten in place and NUL-terminated. false: bad quoting */
static bool
next_field(char **p, char **field)
{
	char *r = *p, *w = *p;

	*field = w;
	if (*r == '"') {
		r++;
		for (;;) {
			if (*r == '\0')
				return false;
			if (*r == '"' && r[1] == '"') {
				*w++ = '"';
				r += 2;
			} else if (*r == '"') {
				r++;
				break;
			} else {
				*w++ = *r++;
			}
		}
		if (*r != ',' && *r != '\0')
			return false;
	} else {
		while (*r != ',' && *r != '\0')
			*w++ = *r++;
	}
	*p = *r == ',' ? r + 1 : r;
	*w = '\0';
	return true;
}

static bool
is_value(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= DEID_PATTERN_SIZE)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '\\')
			return false;
	return true;
}

static mc_err
add_line(deid_lookup *l, char *line, size_t no, char *err, size_t errlen)
{
	char  *f[DEID_LOOKUP_FIELDS] = {NULL, NULL, NULL}, *p = line;
	size_t n = 0;

	while (*p != '\0' || n == 0) {
		if (n == DEID_LOOKUP_FIELDS || !next_field(&p, &f[n])) {
			mc_errf(err, errlen,
			    "deidentify: lookup_table line %zu: expected "
			    "original_patient_id,new_patient_id[,new_patient_"
			    "name]",
			    no);
			return MC_EPARSE;
		}
		n++;
	}
	if (n < 2 || f[0][0] == '\0' || !is_value(f[1]) ||
	    (f[2] != NULL && f[2][0] != '\0' && !is_value(f[2]))) {
		mc_errf(err, errlen,
		    "deidentify: lookup_table line %zu: the original ID must "
		    "not be empty and the new values must be 1..64 printable "
		    "ASCII characters without '\\'",
		    no);
		return MC_EPARSE;
	}
	if (l->n == l->cap) {
		size_t      cap = l->cap ? l->cap * 2 : 64;
		deid_entry *e = realloc(l->e, cap * sizeof(*e));
		if (e == NULL)
			return MC_ENOMEM;
		l->e = e;
		l->cap = cap;
	}
	/* no name: the empty string at the end of the new ID */
	l->e[l->n++] = (deid_entry){
	    f[0], f[1], f[2] != NULL ? f[2] : f[1] + strlen(f[1])};
	return MC_OK;
}

static mc_err
parse(deid_lookup *l, char *err, size_t errlen)
{
	char  *line = l->text, *end;
	size_t no = 0;

	for (; line != NULL && *line != '\0'; line = end) {
		no++;
		end = strchr(line, '\n');
		if (end != NULL)
			*end++ = '\0';
		size_t n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0 || line[0] == '#' ||
		    (no == 1 && strncmp(line, DEID_LOOKUP_HEADER,
		                    strlen(DEID_LOOKUP_HEADER)) == 0))
			continue;
		mc_err rv = add_line(l, line, no, err, errlen);
		if (rv != MC_OK)
			return rv;
	}
	return MC_OK;
}

mc_err
deid_lookup_load(const char *path, deid_lookup **out, char *err, size_t errlen)
{
	deid_lookup *l = calloc(1, sizeof(*l));
	mc_err       rv;

	*out = NULL;
	if (l == NULL)
		return MC_ENOMEM;
	rv = sys_read_plain_file(
	    path, DEID_LOOKUP_MAX_BYTES, &l->text, &l->len);
	if (rv != MC_OK) {
		mc_errf(err, errlen, "deidentify: lookup_table %s: %s", path,
		    mc_strerror(rv));
		deid_lookup_destroy(l);
		return rv == MC_ENOMEM ? rv : MC_EIO;
	}
	if (strlen(l->text) != l->len) {
		mc_errf(err, errlen,
		    "deidentify: lookup_table %s holds a NUL "
		    "byte",
		    path);
		deid_lookup_destroy(l);
		return MC_EPARSE;
	}
	if ((rv = parse(l, err, errlen)) != MC_OK) {
		deid_lookup_destroy(l);
		return rv;
	}
	*out = l;
	return MC_OK;
}

bool
deid_lookup_find(const deid_lookup *l, const char *old_id, const char **new_id,
    const char **new_name)
{
	for (size_t i = 0; l != NULL && i < l->n; i++) {
		if (strcmp(l->e[i].old_id, old_id) == 0) {
			*new_id = l->e[i].new_id;
			*new_name = l->e[i].new_name;
			return true;
		}
	}
	return false;
}
