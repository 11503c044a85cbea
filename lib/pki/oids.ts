/** Object identifiers used by FedPKI, by their ASN.1 names. */

// Attribute types (X.520)
export const id_at_commonName = '2.5.4.3';
export const id_at_countryName = '2.5.4.6';
export const id_at_organizationName = '2.5.4.10';
export const id_at_organizationalUnitName = '2.5.4.11';
export const id_domainComponent = '0.9.2342.19200300.100.1.25';
export const id_emailAddress = '1.2.840.113549.1.9.1';

// Certificate extensions (RFC 5280 §4.2)
export const id_ce_subjectKeyIdentifier = '2.5.29.14';
export const id_ce_keyUsage = '2.5.29.15';
export const id_ce_subjectAltName = '2.5.29.17';
export const id_ce_basicConstraints = '2.5.29.19';
export const id_ce_cRLNumber = '2.5.29.20';
export const id_ce_cRLReasons = '2.5.29.21';
export const id_ce_cRLDistributionPoints = '2.5.29.31';
export const id_ce_authorityKeyIdentifier = '2.5.29.35';
export const id_ce_extKeyUsage = '2.5.29.37';
export const id_ce_issuingDistributionPoint = '2.5.29.28';
export const id_pe_authorityInfoAccess = '1.3.6.1.5.5.7.1.1';

// Extended key usages
export const id_kp_serverAuth = '1.3.6.1.5.5.7.3.1';
export const id_kp_clientAuth = '1.3.6.1.5.5.7.3.2';
export const id_kp_OCSPSigning = '1.3.6.1.5.5.7.3.9';

// Access methods
export const id_ad_ocsp = '1.3.6.1.5.5.7.48.1';
export const id_ad_caIssuers = '1.3.6.1.5.5.7.48.2';
export const id_pkix_ocsp_basic = '1.3.6.1.5.5.7.48.1.1';
export const id_pkix_ocsp_nonce = '1.3.6.1.5.5.7.48.1.2';
export const id_pkix_ocsp_nocheck = '1.3.6.1.5.5.7.48.1.5';

// PKCS#9 / PKCS#10
export const pkcs_9_at_extensionRequest = '1.2.840.113549.1.9.14';
export const pkcs_9_at_challengePassword = '1.2.840.113549.1.9.7';
export const pkcs_9_at_friendlyName = '1.2.840.113549.1.9.20';
export const pkcs_9_at_localKeyId = '1.2.840.113549.1.9.21';

// PKCS#12 bag types (RFC 7292 §4.2)
export const pkcs_12_keyBag = '1.2.840.113549.1.12.10.1.1';
export const pkcs_12_pkcs8ShroudedKeyBag = '1.2.840.113549.1.12.10.1.2';
export const pkcs_12_certBag = '1.2.840.113549.1.12.10.1.3';

// Public key algorithms
export const id_ecPublicKey = '1.2.840.10045.2.1';
export const rsaEncryption = '1.2.840.113549.1.1.1';
export const id_RSASSA_PSS = '1.2.840.113549.1.1.10';
export const id_Ed25519 = '1.3.101.112';
export const id_Ed448 = '1.3.101.113';
export const id_dsa = '1.2.840.10040.4.1';

// Named curves
export const secp256r1 = '1.2.840.10045.3.1.7';
export const secp384r1 = '1.3.132.0.34';
export const secp521r1 = '1.3.132.0.35';
export const secp256k1 = '1.3.132.0.10';

// Hash algorithms (OCSP CertID)
export const id_sha1 = '1.3.14.3.2.26';
export const id_sha256 = '2.16.840.1.101.3.4.2.1';
export const id_sha384 = '2.16.840.1.101.3.4.2.2';
export const id_sha512 = '2.16.840.1.101.3.4.2.3';

// Signature algorithms
export const ecdsa_with_SHA1 = '1.2.840.10045.4.1';
export const ecdsa_with_SHA256 = '1.2.840.10045.4.3.2';
export const ecdsa_with_SHA384 = '1.2.840.10045.4.3.3';
export const ecdsa_with_SHA512 = '1.2.840.10045.4.3.4';
export const sha1WithRSAEncryption = '1.2.840.113549.1.1.5';
export const sha256WithRSAEncryption = '1.2.840.113549.1.1.11';
export const sha384WithRSAEncryption = '1.2.840.113549.1.1.12';
export const sha512WithRSAEncryption = '1.2.840.113549.1.1.13';

/** smallstep's provisioner extension, recognised when a step-ca leaf is seen. */
export const step_provisioner = '1.3.6.1.4.1.37476.9000.64.1';
