/* dcm_glue_deid_table.cpp - PS3.15 Table E.1-1 (deid_table.def) as
 * dcm_glue_deid.cpp asks it: the action of an attribute under the options
 * chosen, and the values the actions make (shifted dates, dummies). */
#include "dcm/dcm_deid_int.h"

#include <stdio.h>

#include <unordered_map>
#include <vector>

#include "dcm/dcm_deid.h"

namespace deid_tab
{

namespace
{

/* the option columns of deid_table.def, in its order */
const unsigned COLUMN_FLAG[] = {DCM_DEID_RETAIN_FULL_DATES,
    DCM_DEID_RETAIN_MODIFIED_DATES, DCM_DEID_CLEAN_DESCRIPTORS,
    DCM_DEID_RETAIN_UIDS, DCM_DEID_RETAIN_DEVICE_IDENTITY,
    DCM_DEID_RETAIN_PATIENT_CHARS, DCM_DEID_RETAIN_INSTITUTION_IDENTITY,
    DCM_DEID_CLEAN_GRAPHICS, 0 /* clean structured content: not offered */};
const size_t   N_COLUMNS = sizeof(COLUMN_FLAG) / sizeof(COLUMN_FLAG[0]);

struct deid_row {
	Uint16 group, element, gmask, emask;
	act    basic;
	act    option[N_COLUMNS];
};

#define DEID_ATTR(                                                            \
    g, e, gm, em, name, iod, basic, o1, o2, o3, o4, o5, o6, o7, o8, o9)       \
	{g, e, gm, em, A_##basic,                                             \
	    {A_##o1, A_##o2, A_##o3, A_##o4, A_##o5, A_##o6, A_##o7, A_##o8,  \
	        A_##o9}},
const deid_row ROWS[] = {
#include "dcm/deid_table.def"
};
#undef DEID_ATTR
const size_t N_ROWS = sizeof(ROWS) / sizeof(ROWS[0]);

Uint32
key_of(Uint16 g, Uint16 e)
{
	return (static_cast<Uint32>(g) << 16) | e;
}

/* the rows by tag, and the few with a repeating group apart */
struct deid_index {
	std::unordered_map<Uint32, const deid_row *> exact;
	std::vector<const deid_row *>                masked;

	deid_index()
	{
		for (size_t i = 0; i < N_ROWS; i++) {
			const deid_row *r = &ROWS[i];
			if (r->gmask == 0xFFFF && r->emask == 0xFFFF)
				exact[key_of(r->group, r->element)] = r;
			else
				masked.push_back(r);
		}
	}

	const deid_row *find(Uint16 g, Uint16 e) const
	{
		auto it = exact.find(key_of(g, e));
		if (it != exact.end())
			return it->second;
		for (const deid_row *r : masked)
			if ((g & r->gmask) == r->group &&
			    (e & r->emask) == r->element)
				return r;
		return NULL;
	}
};

const deid_index &
index_get()
{
	static const deid_index idx; /* built once, thread-safe (C++11) */
	return idx;
}

/* the action for a row with the options enabled: K > C > basic */
act
resolve(const deid_row *r, unsigned options)
{
	act a = r->basic;

	for (size_t i = 0; i < N_COLUMNS; i++) {
		if (COLUMN_FLAG[i] == 0 || (options & COLUMN_FLAG[i]) == 0)
			continue;
		if (r->option[i] == A_K)
			return A_K;
		if (r->option[i] == A_C)
			a = A_C;
	}
	return a;
}

} // namespace

bool
action(Uint16 g, Uint16 e, unsigned options, act *out)
{
	const deid_row *r = index_get().find(g, e);

	if (r == NULL)
		return false;
	*out = resolve(r, options);
	return true;
}

/* ---- dates ----------------------------------------------------------- */

/* days since 1970-01-01 of a proleptic Gregorian date, and back (the
 * civil-calendar algorithms of H. Hinnant, public domain) */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long     era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = static_cast<unsigned>(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + static_cast<long>(doe) - 719468;
}

static void
civil_from_days(long z, long *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long     era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = static_cast<unsigned>(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = static_cast<long>(yoe) + era * 400 + (*m <= 2);
}

bool
shift_date(std::string &v, long days)
{
	unsigned y, m, d;
	char     buf[16];

	if (v.size() < 8 || sscanf(v.c_str(), "%4u%2u%2u", &y, &m, &d) != 3)
		return false;
	for (size_t i = 0; i < 8; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	long     ny;
	unsigned nm, nd;
	civil_from_days(days_from_civil(y, m, d) + days, &ny, &nm, &nd);
	if (ny < 0 || ny > 9999)
		return false;
	snprintf(buf, sizeof(buf), "%04ld%02u%02u", ny, nm, nd);
	v.replace(0, 8, buf);
	return true;
}

/* the dummy of D for a VR: a value that says nothing and is valid */
const char *
dummy_for(DcmEVR vr)
{
	switch (vr) {
	case EVR_DA:
		return "19000101";
	case EVR_TM:
		return "000000";
	case EVR_DT:
		return "19000101000000";
	case EVR_AS:
		return "000Y";
	case EVR_DS:
	case EVR_IS:
	case EVR_US:
	case EVR_SS:
	case EVR_UL:
	case EVR_SL:
	case EVR_FL:
	case EVR_FD:
	case EVR_SV:
	case EVR_UV:
		return "0";
	case EVR_AE:
	case EVR_CS:
	case EVR_LO:
	case EVR_LT:
	case EVR_SH:
	case EVR_ST:
	case EVR_UT:
	case EVR_UC:
	case EVR_PN:
		return "ANONYMIZED";
	default:
		return NULL; /* binary, URLs: an empty value is the dummy */
	}
}

} // namespace deid_tab
