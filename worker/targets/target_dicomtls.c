/* target_dicomtls.c - the "dicomtls" target: the dicom target over DICOM
 * TLS (mercure: storescu +tls <tls_key> <tls_cert> +cf <ca_cert>). The
 * peer must present a certificate signed by ca_cert; ours is tls_cert.
 * Everything else, fields included, is target_dicom.c's. */
#include "targets/target.h"

#include "targets/target_dicom_int.h"

static mc_err
dicomtls_send(const target_cfg *cfg, const task_ctx *ctx,
    const target_files *files, target_result *res)
{
	return target_dicom_send_with(DICOM_TLS, cfg, ctx, files, res);
}

static mc_err
dicomtls_test(
    const target_cfg *cfg, const task_ctx *ctx, char *msg, size_t len)
{
	return target_dicom_test_with(DICOM_TLS, cfg, ctx, msg, len);
}

static mc_err
dicomtls_stream_open(const target_cfg *cfg, const task_ctx *ctx,
    target_stream **out, char *err, size_t errlen)
{
	return target_dicom_stream_open_with(
	    DICOM_TLS, cfg, ctx, out, err, errlen);
}

const target_ops target_ops_dicomtls = {
    .send = dicomtls_send,
    .test = dicomtls_test,
    .stream_open = dicomtls_stream_open,
    .stream_send = target_dicom_stream_send,
    .stream_close = target_dicom_stream_close,
};
