// dcm_glue_tls.cpp - the shared TLS setup of the DCMTK glue (see
// dcm_glue_tls.h). No exception can leave: DCMTK's TLS calls report by
// OFCondition.
#include "dcm/dcm_glue_tls.h"

mc_err
dcm_tls_configure(DcmTLSTransportLayer &t, const char *key, const char *cert,
    const char *ca, char *err, size_t errlen)
{
	OFCondition c = t.setTLSProfile(TSP_Profile_BCP195);

	if (c.good())
		c = t.activateCipherSuites();
	if (c.bad()) {
		mc_errf(err, errlen, "TLS profile: %s", c.text());
		return MC_ECONFIG;
	}
	if ((c = t.setPrivateKeyFile(key, DCF_Filetype_PEM)).bad()) {
		mc_errf(err, errlen, "TLS key %s: %s", key, c.text());
		return MC_ECONFIG;
	}
	if ((c = t.setCertificateFile(cert, DCF_Filetype_PEM)).bad()) {
		mc_errf(err, errlen, "TLS certificate %s: %s", cert, c.text());
		return MC_ECONFIG;
	}
	if (!t.checkPrivateKeyMatchesCertificate()) {
		mc_errf(err, errlen,
		    "TLS key %s does not match certificate %s", key, cert);
		return MC_ECONFIG;
	}
	if ((c = t.addTrustedCertificateFile(ca, DCF_Filetype_PEM)).bad()) {
		mc_errf(err, errlen, "TLS CA %s: %s", ca, c.text());
		return MC_ECONFIG;
	}
	t.setCertificateVerification(DCV_requireCertificate);
	return MC_OK;
}
