// What `fx pki certify` does, through step's own client library (smallstep/certificates
// 0.19's ca.Client and go.step.sm/crypto's x509util, as Debian packages them), so that
// FedPKI's step-compatible API is tested against the client code itself rather than
// against a description of it. Built by test/helpers/step-client.ts.
//
//	step-client NAME FX_TOKEN OUT_DIR
//
// Like `fx pki certify` and `step ca certificate NAME NAME.crt NAME.key --kty EC
// --curve P-384 --token JWT`: the fx token is base64(JWT) "." base64(root PEM); NAME
// must be the JWT's sub (any case); the JWT is read without verification; the CA is the
// origin of its aud, trusted by the root whose SHA-256 is its sha claim (fetched from
// GET /root/{sha}); the CSR is made by x509util.CreateCertificateRequest for the sub
// and the token's sans; POST /sign; OUT_DIR gets NAME.crt (the certChain), NAME.key
// (SEC1 PEM) and root_ca.crt. It prints one line; a failure goes to stderr, exit 1.
//
//	step-client renew CA_URL DIR NAME
//
// Like `step ca renew DIR/NAME.crt DIR/NAME.key` (mTLS, its default): the current
// certificate and key are the TLS client identity, DIR/root_ca.crt the trust; the
// renewed chain replaces DIR/NAME.crt.
//
//	step-client renew-token CA_URL DIR NAME
//
// Like `step ca renew DIR/NAME.crt DIR/NAME.key --mtls=false`: no client certificate;
// a renewal token made as step's CLI makes it (cli-utils token.NewClaims, which sets
// no jti; iss step-ca-client/1.0, sub the leaf's CN, aud CA_URL/renew; the chain in
// the x5cInsecure header; signed by the leaf's key) goes as the Bearer of POST /renew.
// The renewed chain replaces DIR/NAME.crt; the token is written to DIR/renew-token.jwt.
//
//	step-client revoke CA_URL ROOT_FILE SERIAL JWT
//
// Like `step ca revoke SERIAL --token JWT --reason-code 1` (passive, as step sends it;
// SERIAL in decimal, as step prints serials).
//
//	step-client read CA_URL ROOT_FILE
//
// The read API as `step ca health`, `step ca roots`, `step ca federation` and `step ca
// provisioner list` read it, each answer decoded into step's own types; one line out.
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/smallstep/certificates/api"
	"github.com/smallstep/certificates/ca"
	"go.step.sm/cli-utils/token"
	"go.step.sm/crypto/pemutil"
	"go.step.sm/crypto/x509util"
)

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, format+"\n", a...)
	os.Exit(1)
}

func check(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

// writeChain writes a /sign or /renew answer's certChain as PEM.
func writeChain(file string, resp *api.SignResponse) {
	var chain []byte
	for _, c := range resp.CertChainPEM {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	check(os.WriteFile(file, chain, 0o600), "write")
}

// splitToken reads an fx token, base64(JWT) "." base64(root PEM), into its two parts.
func splitToken(fxToken string) (jwt string, root []byte) {
	parts := strings.Split(fxToken, ".")
	if len(parts) != 2 {
		fail("the token is not base64(JWT).base64(root)")
	}
	j, err := base64.StdEncoding.DecodeString(parts[0])
	check(err, "token")
	root, err = base64.StdEncoding.DecodeString(parts[1])
	check(err, "token root")
	return string(j), root
}

func renew(caURL, dir, name string) {
	identity, err := tls.LoadX509KeyPair(filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"))
	check(err, "certificate")
	client, err := ca.NewClient(caURL, ca.WithRootFile(filepath.Join(dir, "root_ca.crt")))
	check(err, "client")
	tr := &http.Transport{TLSClientConfig: &tls.Config{Certificates: []tls.Certificate{identity}, RootCAs: client.GetRootCAs(), MinVersion: tls.VersionTLS12}}
	resp, err := client.Renew(tr)
	check(err, "renew")
	writeChain(filepath.Join(dir, name+".crt"), resp)
	fmt.Printf("serial=%s chain=%d\n", resp.ServerPEM.SerialNumber, len(resp.CertChainPEM))
}

func renewWithToken(caURL, dir, name string) {
	crtFile := filepath.Join(dir, name+".crt")
	key, err := pemutil.Read(filepath.Join(dir, name+".key"))
	check(err, "key")
	chain, err := pemutil.ReadCertificateBundle(crtFile)
	check(err, "certificate")
	leaf := chain[0]
	endpoint, err := url.Parse(caURL)
	check(err, "ca url")
	claims, err := token.NewClaims(
		token.WithAudience(endpoint.ResolveReference(&url.URL{Path: "/renew"}).String()),
		token.WithIssuer("step-ca-client/1.0"),
		token.WithSubject(leaf.Subject.CommonName),
		token.WithX5CInsecureFile(crtFile, key),
	)
	check(err, "token claims")
	tok, err := claims.Sign("", key)
	check(err, "token")
	check(os.WriteFile(filepath.Join(dir, "renew-token.jwt"), []byte(tok), 0o600), "write")
	client, err := ca.NewClient(caURL, ca.WithRootFile(filepath.Join(dir, "root_ca.crt")))
	check(err, "client")
	resp, err := client.RenewWithToken(tok)
	check(err, "renew")
	writeChain(crtFile, resp)
	fmt.Printf("serial=%s chain=%d\n", resp.ServerPEM.SerialNumber, len(resp.CertChainPEM))
}

func revoke(caURL, rootFile, serial, jwt string) {
	client, err := ca.NewClient(caURL, ca.WithRootFile(rootFile))
	check(err, "client")
	resp, err := client.Revoke(&api.RevokeRequest{Serial: serial, OTT: jwt, ReasonCode: 1, Passive: true}, nil)
	check(err, "revoke")
	fmt.Printf("status=%s\n", resp.Status)
}

func read(caURL, rootFile string) {
	client, err := ca.NewClient(caURL, ca.WithRootFile(rootFile))
	check(err, "client")
	health, err := client.Health()
	check(err, "health")
	version, err := client.Version()
	check(err, "version")
	roots, err := client.Roots()
	check(err, "roots")
	federation, err := client.Federation()
	check(err, "federation")
	provisioners, err := client.Provisioners()
	check(err, "provisioners")
	var names []string
	for _, p := range provisioners.Provisioners {
		names = append(names, fmt.Sprintf("%s:%s:%s", p.GetType(), p.GetName(), p.GetID()))
	}
	fmt.Printf("health=%s version=%s roots=%d federation=%d provisioners=%s\n", health.Status, version.Version, len(roots.Certificates), len(federation.Certificates), strings.Join(names, ","))
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "read" {
		read(os.Args[2], os.Args[3])
		return
	}
	if len(os.Args) == 5 && os.Args[1] == "renew" {
		renew(os.Args[2], os.Args[3], os.Args[4])
		return
	}
	if len(os.Args) == 5 && os.Args[1] == "renew-token" {
		renewWithToken(os.Args[2], os.Args[3], os.Args[4])
		return
	}
	if len(os.Args) == 6 && os.Args[1] == "revoke" {
		revoke(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
		return
	}
	if len(os.Args) != 4 {
		fail("usage: step-client NAME FX_TOKEN OUT_DIR | renew CA_URL DIR NAME | renew-token CA_URL DIR NAME | revoke CA_URL ROOT_FILE SERIAL JWT | read CA_URL ROOT_FILE")
	}
	certify(os.Args[1], os.Args[2], os.Args[3])
}

func certify(name, fxToken, out string) {
	jwt, root := splitToken(fxToken)
	segments := strings.Split(jwt, ".")
	if len(segments) != 3 {
		fail("the token's JWT is malformed")
	}
	payload, err := base64.RawURLEncoding.DecodeString(segments[1])
	check(err, "JWT payload")
	var claims struct {
		Sub  string          `json:"sub"`
		Sans []string        `json:"sans"`
		Sha  string          `json:"sha"`
		Aud  json.RawMessage `json:"aud"`
	}
	check(json.Unmarshal(payload, &claims), "JWT claims")
	if !strings.EqualFold(claims.Sub, name) {
		fail("token subject '%s' and argument '%s' do not match", claims.Sub, name)
	}
	var audiences []string
	if json.Unmarshal(claims.Aud, &audiences) != nil {
		var one string
		check(json.Unmarshal(claims.Aud, &one), "JWT aud")
		audiences = []string{one}
	}
	aud, err := url.Parse(audiences[0])
	check(err, "JWT aud")

	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	check(err, "key")
	csr, err := x509util.CreateCertificateRequest(claims.Sub, claims.Sans, key)
	check(err, "CSR")
	client, err := ca.NewClient(aud.Scheme+"://"+aud.Host, ca.WithRootSHA256(claims.Sha))
	check(err, "client")
	resp, err := client.Sign(&api.SignRequest{CsrPEM: api.CertificateRequest{CertificateRequest: csr}, OTT: jwt})
	check(err, "sign")

	der, err := x509.MarshalECPrivateKey(key)
	check(err, "key")
	writeChain(filepath.Join(out, name+".crt"), resp)
	check(os.WriteFile(filepath.Join(out, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600), "write")
	check(os.WriteFile(filepath.Join(out, "root_ca.crt"), root, 0o644), "write")
	fmt.Printf("serial=%s issuer=%q chain=%d tlsOptions=%t\n", resp.ServerPEM.SerialNumber, resp.ServerPEM.Issuer.CommonName, len(resp.CertChainPEM), resp.TLSOptions != nil)
}
