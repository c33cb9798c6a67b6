/* mc_err.h - the project's error codes. Every function that can fail
 * returns an mc_err; MC_OK is 0. Detail text travels beside the code (an
 * errbuf or an mc_diag), written once by the layer that knows it. */
#ifndef MC_COMMON_MC_ERR_H
#define MC_COMMON_MC_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MC_NODISCARD __attribute__((warn_unused_result))

#define MC_ERRORS(X)                                                          \
	X(OK, "ok")                                                           \
	X(ENOMEM, "out of memory")                                            \
	X(EINVAL, "invalid argument")                                         \
	X(EIO, "input/output error")                                          \
	X(ENOSPC, "no space left on device")                                  \
	X(ENOENT, "not found")                                                \
	X(EEXIST, "already exists")                                           \
	X(EPARSE, "cannot parse")                                             \
	X(ESYNTAX, "syntax error")                                            \
	X(EUID, "invalid UID")                                                \
	X(ECHARSET, "character set conversion failed")                        \
	X(ENET, "network error")                                              \
	X(ETIMEDOUT, "timed out")                                             \
	X(EAGAIN, "try again")                                                \
	X(ECLOSED, "closed")                                                  \
	X(EPROTO, "protocol error")                                           \
	X(ECONFIG, "invalid configuration")                                   \
	X(EDICOM, "DICOM error")                                              \
	X(EREFUSED, "refused")                                                \
	X(EINTERNAL, "internal error")

#define MC_ERR_ENUM(id, text) MC_##id,
typedef enum { MC_ERRORS(MC_ERR_ENUM) MC_ERR_COUNT } mc_err;
#undef MC_ERR_ENUM

/* mc_strerror - a constant text for e; never NULL. Any thread. */
const char *mc_strerror(mc_err e);

/* mc_from_errno - map an errno value to the nearest mc_err. */
mc_err mc_from_errno(int e);

/* mc_errf - printf into a caller's error buffer (err may be NULL or
 * errlen 0: nothing is written). Always NUL-terminated. */
void mc_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* mc_diag - where a parse or validation error is, filled by parsers. */
typedef struct mc_diag {
	char   file[256];  /* "mercure.yaml" */
	char   field[128]; /* "rules.ct.rule" */
	size_t line;       /* 1-based; 0 = unknown */
	size_t column;     /* 1-based; 0 = unknown */
	char   msg[256];
} mc_diag;

/* mc_diag_format - "file:line:column: field: msg" into buf (always NUL
 * terminated). Returns buf. */
const char *mc_diag_format(const mc_diag *d, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
