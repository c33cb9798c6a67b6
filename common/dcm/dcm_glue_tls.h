/* dcm_glue_tls.h - internal to the DCMTK glue (C++ only): the TLS
 * settings both directions share, so the receiver (SCP) and the worker's
 * sender (SCU) cannot drift apart: BCP 195 profile, PEM key and
 * certificate that must match, peers verified against the CA. */
#ifndef MC_GETDCMTAGS_DCM_GLUE_TLS_H
#define MC_GETDCMTAGS_DCM_GLUE_TLS_H

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmtls/tlslayer.h"

#include <stddef.h>

#include "base/mc_err.h"

/* dcm_tls_configure - set up t (created by the caller for its role).
 * Returns MC_OK, or MC_ECONFIG with err naming the file and the reason. */
mc_err dcm_tls_configure(DcmTLSTransportLayer &t, const char *key,
    const char *cert, const char *ca, char *err, size_t errlen);

#endif
