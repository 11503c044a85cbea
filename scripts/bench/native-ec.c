/*
 * A measurement, not product code and never built by `npm install`: what one
 * enrollment's ECDSA costs through OpenSSL's low-level EC API with each curve's group
 * built once, for comparison with node:crypto. scripts/bench/native-ec.ts compiles
 * and runs it. The low-level EC_KEY API is deprecated in OpenSSL 3, which is one reason
 * this stays a measurement.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/obj_mac.h>
#include <openssl/sha.h>

static EC_GROUP *groups[2];
static EC_KEY *cached_pub[2];
static EC_KEY *cached_priv;

static void digest(int curve, const unsigned char *data, size_t len, unsigned char *out, size_t *outlen) {
  if (curve == 0) { SHA256(data, len, out); *outlen = 32; } else { SHA384(data, len, out); *outlen = 48; }
}

static int verify_with(EC_KEY *k, int curve, const unsigned char *data, size_t dlen, const unsigned char *sig, size_t slen) {
  unsigned char h[48]; size_t hlen;
  digest(curve, data, dlen, h, &hlen);
  ECDSA_SIG *s = ECDSA_SIG_new();
  ECDSA_SIG_set0(s, BN_bin2bn(sig, slen / 2, NULL), BN_bin2bn(sig + slen / 2, slen / 2, NULL));
  int ok = ECDSA_do_verify(h, hlen, s, k);
  ECDSA_SIG_free(s);
  return ok == 1;
}

/* verify(curve 0|1, point, data, sig, cached 0|1): cached uses one key built on first call. */
static napi_value Verify(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t curve, cached; void *pt, *data, *sig; size_t ptlen, dlen, slen;
  napi_get_value_int32(env, argv[0], &curve);
  napi_get_buffer_info(env, argv[1], &pt, &ptlen);
  napi_get_buffer_info(env, argv[2], &data, &dlen);
  napi_get_buffer_info(env, argv[3], &sig, &slen);
  napi_get_value_int32(env, argv[4], &cached);
  int ok = 0;
  if (ptlen > 0 && ((unsigned char *)pt)[0] == 4) {
    if (cached) {
      if (!cached_pub[curve]) { cached_pub[curve] = EC_KEY_new(); EC_KEY_set_group(cached_pub[curve], groups[curve]); EC_KEY_oct2key(cached_pub[curve], pt, ptlen, NULL); }
      ok = verify_with(cached_pub[curve], curve, data, dlen, sig, slen);
    } else {
      EC_KEY *k = EC_KEY_new();
      EC_KEY_set_group(k, groups[curve]);
      if (EC_KEY_oct2key(k, pt, ptlen, NULL) == 1) ok = verify_with(k, curve, data, dlen, sig, slen);
      EC_KEY_free(k);
    }
  }
  napi_value r; napi_get_boolean(env, ok, &r); return r;
}

/* sign(d, data): P-256, SHA-256, with a key built from d on the first call; returns DER. */
static napi_value Sign(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *d, *data; size_t dl, len;
  napi_get_buffer_info(env, argv[0], &d, &dl);
  napi_get_buffer_info(env, argv[1], &data, &len);
  if (!cached_priv) {
    cached_priv = EC_KEY_new(); EC_KEY_set_group(cached_priv, groups[0]);
    BIGNUM *bn = BN_bin2bn(d, dl, NULL); EC_KEY_set_private_key(cached_priv, bn); BN_free(bn);
  }
  unsigned char h[32]; SHA256(data, len, h);
  ECDSA_SIG *s = ECDSA_do_sign(h, 32, cached_priv);
  unsigned char *der = NULL; int n = i2d_ECDSA_SIG(s, &der);
  ECDSA_SIG_free(s);
  napi_value out; void *p; napi_create_buffer_copy(env, n, der, &p, &out);
  OPENSSL_free(der);
  return out;
}

NAPI_MODULE_INIT() {
  groups[0] = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  groups[1] = EC_GROUP_new_by_curve_name(NID_secp384r1);
  napi_value v, s;
  napi_create_function(env, "verify", NAPI_AUTO_LENGTH, Verify, NULL, &v);
  napi_create_function(env, "sign", NAPI_AUTO_LENGTH, Sign, NULL, &s);
  napi_set_named_property(env, exports, "verify", v);
  napi_set_named_property(env, exports, "sign", s);
  return exports;
}
