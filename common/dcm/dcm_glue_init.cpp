/* dcm_glue_init.cpp - the process-wide set-up DCMTK needs before any
 * thread uses it, shared by every program (dcm_glue_init, dcm_scu_init). */
#include "dcmtk/config/osconfig.h"

#include "dcmtk/dcmdata/dcdict.h"
#include "dcmtk/oflog/oflog.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <mutex>

#include "base/mc_err.h"
#include "dcm/dcm_glue.h"
#include "dcm/dcm_scu.h"

extern "C" mc_err
dcm_glue_init(char *err, size_t errlen)
{
	static std::once_flag once;
	static mc_err         result = MC_OK;
	static char           msg[256];

	try {
		std::call_once(once, [] {
			/* DCMTK logs a warning per file for the PixelData stop
			 * and errors we already report through mc_err. */
			OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
			/* Nagle: 44 ms per DIMSE round trip */
			setenv("TCP_NODELAY", "1", 1);
			/* DCMTK writes to sockets with write(2): a peer that
			 * resets would otherwise kill the process. */
			struct sigaction sa;
			if (sigaction(SIGPIPE, NULL, &sa) == 0 &&
			    sa.sa_handler == SIG_DFL) {
				sa.sa_handler = SIG_IGN;
				sigaction(SIGPIPE, &sa, NULL);
			}
			if (!dcmDataDict.isDictionaryLoaded()) {
				const char *dp = getenv("DCMDICTPATH");
				snprintf(msg, sizeof(msg),
				    "DICOM data dictionary not loaded "
				    "(DCMDICTPATH=%s)",
				    dp ? dp : "unset");
				result = MC_EINTERNAL;
			}
		});
	} catch (...) {
		mc_errf(err, errlen, "DCMTK initialisation threw");
		return MC_EINTERNAL;
	}
	if (result != MC_OK)
		mc_errf(err, errlen, "%s", msg);
	return result;
}

extern "C" mc_err
dcm_scu_init(char *err, size_t errlen)
{
	return dcm_glue_init(err, errlen);
}
