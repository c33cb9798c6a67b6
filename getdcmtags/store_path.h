/* store_path.h - where received files go, and how a file that cannot be
 * taken is set aside: <incoming>/error/<name> with <name>.error beside
 * it saying why (mercure's layout, so its tools and habits still work). */
#ifndef MC_GETDCMTAGS_STORE_PATH_H
#define MC_GETDCMTAGS_STORE_PATH_H

#include <stddef.h>

#include "base/mc_err.h"
#include "os/sys_fs.h"

#define STORE_ERROR_DIR "error"

/* store_move_to_error - rename src to <incoming>/error/<name> (a unique
 * variant of name if it exists) and write <that>.error with reason.
 * Creates the error directory. Returns the rename's result; a failed
 * .error write is logged, not returned (the file is what matters). */
MC_NODISCARD mc_err store_move_to_error(const char *incoming, const char *src,
    const char *name, const char *reason);

#endif
