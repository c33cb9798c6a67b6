/* qr_ingest.h - how instances fetched by C-GET or WADO-RS enter the
 * router: each is written to a private staging folder under the storage
 * root, then moved into incoming/ and handed to getdcmtags, the
 * receiver's one-file import
 * (the same code that stores every received instance, and the way
 * mercure's query tool imports), which files it as incoming/<series>/
 * <sop>.dcm with its .tags and sends the coordinator its instance
 * message. docs/query-retrieve.md says why this path. */
#ifndef MC_COORDINATOR_QR_INGEST_H
#define MC_COORDINATOR_QR_INGEST_H

#include <stddef.h>

#include "base/mc_err.h"
#include "config/config.h"

typedef struct qr_ingest qr_ingest;

/* qr_ingest_create - find getdcmtags (beside this program, else on PATH)
 * and create the staging folder <storage_root>/retrieve/<pid>. cfg and
 * node are borrowed and must outlive q; force_rule (may be NULL) is set
 * as mercureForceRule on every instance. MC_OK with *out new; MC_ENOENT
 * (no getdcmtags), MC_EIO (folders); err says which. Loop-free: for the
 * command-line tool, one thread. */
MC_NODISCARD mc_err qr_ingest_create(const mc_config *cfg,
    const config_dicom_node *node, const char *force_rule, qr_ingest **out,
    char *err, size_t errlen);

/* qr_ingest_dir - the staging folder C-GET writes into. */
const char *qr_ingest_dir(const qr_ingest *q);

/* qr_ingest_flush - hand every file of the staging folder to getdcmtags,
 * one at a time; *ok and *failed count them. A file getdcmtags refuses
 * is in incoming/error/ with its reason (getdcmtags puts it there); a
 * file that could not be handed over stays in the staging folder. MC_OK
 * when every file went in; MC_EIO otherwise, err says the first why. */
MC_NODISCARD mc_err qr_ingest_flush(
    qr_ingest *q, size_t *ok, size_t *failed, char *err, size_t errlen);

/* qr_ingest_destroy - remove the staging folder if it is empty (it keeps
 * what could not be handed over) and free q. NULL: no-op. */
void qr_ingest_destroy(qr_ingest *q);

#endif
