/* control.h - the operator's control socket: nng REQ/REP at
 * ipc://<storage_root>/control.ipc (local only). Requests are one line
 * of text: "force-complete <UID>", "retry <task-id>", "reroute
 * <task-id>", "status"; the answer starts with "ok " or "error ".
 * control_request() is the client side used by mercure-coordinator's
 * command-line options. */
#ifndef MC_COORDINATOR_CONTROL_H
#define MC_COORDINATOR_CONTROL_H

#include <stddef.h>

#include "base/mc_err.h"

#define CONTROL_SOCKET_NAME "control.ipc"
#define CONTROL_TIMEOUT_MS 5000

/* control_request - send req to the coordinator whose storage root is
 * root; the answer goes into reply. MC_ENET when no coordinator answers. */
MC_NODISCARD mc_err control_request(
    const char *root, const char *req, char *reply, size_t len);

#endif
