/* qr_cli.h - mercure-coordinator's query/retrieve commands, for an
 * operator at a shell (docs/query-retrieve.md):
 *   --query SOURCE [--level study|series] [--json] KEY=VALUE...
 *   --retrieve SOURCE [--method get|move] [--force-rule NAME] KEY=VALUE...
 *   --retrieve-list FILE --source SOURCE [...]  (accession numbers)
 * SOURCE names a node of dicom_retrieve.dicom_nodes, or a dicom target
 * (DIMSE) or dicomweb target (QIDO-RS, WADO-RS) with direction pull or
 * both. Retrieved images enter through the
 * receiver's path and are routed by the running coordinator like any
 * received study. One-shot, one thread; no coordinator state is touched. */
#ifndef MC_COORDINATOR_QR_CLI_H
#define MC_COORDINATOR_QR_CLI_H

#include <stdbool.h>

/* qr_cli_wanted - argv holds --query, --retrieve or --retrieve-list. */
bool qr_cli_wanted(int argc, char **argv);

/* qr_cli_main - run the command argv asks for; the exit status: 0 all
 * done (a query with no match is done), 1 something failed or a
 * retrieve found nothing, 2 bad usage or configuration. */
int qr_cli_main(int argc, char **argv);

#endif
