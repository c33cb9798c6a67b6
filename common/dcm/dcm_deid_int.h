/* dcm_deid_int.h - shared by dcm_glue_deid.cpp (the walk over a file)
 * and dcm_glue_deid_table.cpp (Table E.1-1 and the values it makes) and
 * nothing else. C++, DCMTK types. */
#ifndef MC_COMMON_DCM_DEID_INT_H
#define MC_COMMON_DCM_DEID_INT_H

#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcvr.h"

#include <string>

namespace deid_tab
{

/* the action codes of Table E.1-1; A__ is "no action in this column" */
enum act { A__, A_D, A_Z, A_X, A_K, A_C, A_U, A_ZD, A_XZ, A_XD, A_XZD, A_XZU };

/* action - the action for attribute (g,e) with the DCM_DEID_* options
 * set: an enabled option's K beats its C beats the Basic Profile's.
 * false when the table does not list the attribute. Any thread. */
bool action(Uint16 g, Uint16 e, unsigned options, act *out);

/* shift_date - move the YYYYMMDD that starts v by days; false when v
 * does not start with a valid date or the result leaves years 0..9999 */
bool shift_date(std::string &v, long days);

/* dummy_for - D's value for a VR, one that says nothing and is valid;
 * NULL where an empty value is the dummy (binary VRs, URLs) */
const char *dummy_for(DcmEVR vr);

} // namespace deid_tab

#endif
