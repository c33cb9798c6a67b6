/* journal.h - the append-only journal of one open series:
 * incoming/<SeriesUID>/journal, one JSON line per stored instance (see
 * docs/protocol.md). The receiver appends a record after the instance's
 * file is in place and before it answers C-STORE; the coordinator reads
 * it to rebuild its series table. A line that does not parse (a torn
 * write, a damaged disk) is skipped and counted; the DICOM file itself
 * is still there for the reconciling scan. */
#ifndef MC_COMMON_JOURNAL_H
#define MC_COMMON_JOURNAL_H

#include <stddef.h>

#include "msg/instance.h"
#include "base/mc_err.h"

#define JOURNAL_FILE_NAME "journal"
#define JOURNAL_RECORD_VERSION 1

/* journal_append - append in's record to the journal at path, with one
 * write(2) (safe against concurrent appenders). sync is SYS_SYNC_NONE or
 * SYS_SYNC_DATA (sys_fs.h). MC_ENOSPC when the disk is full (nothing
 * partial is left behind). Any thread. */
MC_NODISCARD mc_err journal_append(
    const char *path, const mc_instance *in, int sync);

/* journal_fn - called for each good record; in is borrowed for the call
 * (the callee may take in->tags by setting in->tags = NULL). */
typedef void (*journal_fn)(void *ctx, mc_instance *in);

/* journal_read - call fn for each record of the journal at path, in
 * order. *n_bad (may be NULL) gets the number of skipped lines.
 * MC_ENOENT if there is no journal. */
MC_NODISCARD mc_err journal_read(
    const char *path, journal_fn fn, void *ctx, size_t *n_bad);

/* journal_encode_line / journal_decode_line - one record as a JSON line
 * (with the newline) and back; exposed for tests and fuzzing. decode
 * fills an init'ed in and returns MC_EPARSE for a bad line. */
MC_NODISCARD mc_err journal_encode_line(
    const mc_instance *in, char **out, size_t *len);
MC_NODISCARD mc_err journal_decode_line(
    const char *line, size_t len, mc_instance *in);

#endif
