/* assoc_series.h - the series each association carried, so that the
 * coordinator can be told when an association ends (the "association"
 * message, docs/protocol.md). Each association thread keeps its own set;
 * a count shared by all threads says how many live associations carry a
 * series, and only a series no other association still carries is
 * announced: a sender that spreads one series over parallel associations
 * is not cut short by the first one to end. Thread-safe. */
#ifndef MC_GETDCMTAGS_ASSOC_SERIES_H
#define MC_GETDCMTAGS_ASSOC_SERIES_H

#include "base/mc_err.h"
#include "msg/msg_codec.h"

typedef struct assoc_series assoc_series;

MC_NODISCARD mc_err assoc_series_create(assoc_series **out);
/* assoc_series_destroy - NULL: no-op; no association may be running. */
void assoc_series_destroy(assoc_series *a);

/* assoc_series_note - in the association's thread: an instance of the
 * series uid was stored and answered in the current association. */
void assoc_series_note(assoc_series *a, const char *uid);

/* assoc_series_end - in the association's thread, once it ended: the
 * series it carried that no other live association carries go into
 * m->series (allocated, m->n_series set; an empty list when none), and
 * the thread's set is emptied for its next association. */
MC_NODISCARD mc_err assoc_series_end(assoc_series *a, mc_assoc_msg *m);

#endif
