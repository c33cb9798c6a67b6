/* target_dicom_int.h - the C-STORE/C-ECHO code of target_dicom.c shared
 * with target_dicomtls.c, which differs only in the transport. Nothing
 * else includes it. */
#ifndef MC_WORKER_TARGET_DICOM_INT_H
#define MC_WORKER_TARGET_DICOM_INT_H

#include "targets/target.h"

typedef enum { DICOM_PLAIN, DICOM_TLS } dicom_transport;

/* target_dicom_send_with - target_type.send for dicom or dicomtls. */
mc_err target_dicom_send_with(dicom_transport tr, const target_cfg *cfg,
    const task_ctx *ctx, const target_files *files, target_result *res);
/* target_dicom_test_with - target_type.test (C-ECHO) for either. */
/* stream mode (target.h's stream_open, stream_send, stream_close) */
mc_err target_dicom_stream_open_with(dicom_transport tr, const target_cfg *cfg,
    const task_ctx *ctx, target_stream **out, char *err, size_t errlen);
mc_err target_dicom_stream_send(target_stream *s, const char *path);
mc_err target_dicom_stream_close(target_stream *s, target_result *res);
mc_err target_dicom_test_with(dicom_transport tr, const target_cfg *cfg,
    const task_ctx *ctx, char *msg, size_t len);

#endif
