// The crypto floor of one enrollment in Go 1.19, the Go step-ca 0.19 is built with here:
// the same loop as floor.ts runs through node:crypto (the token's ES256 verify, parsing
// the CSR's public key and verifying its signature, the leaf's SKI and fingerprint
// hashes, and the leaf signature), so that the two floors can be set side by side on
// one machine. Then, on its own, the verify Go's x509.CreateCertificate adds after each
// signature. Built by build-step-ca.sh; printed by step-ca.ts.
//
//	go-floor P-256|P-384 ITERATIONS
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"syscall"
	"time"
)

func must(err error) {
	if err != nil {
		panic(err)
	}
}

type csr struct {
	spki []byte
	info []byte
	sig  []byte
}

func cpuMicros() float64 {
	var ru syscall.Rusage
	must(syscall.Getrusage(syscall.RUSAGE_SELF, &ru))
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e3
}

func main() {
	curve := elliptic.P256()
	hashCSR := func(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
	if os.Args[1] == "P-384" {
		curve = elliptic.P384()
		hashCSR = func(b []byte) []byte { h := sha512.Sum384(b); return h[:] }
	}
	n, err := strconv.Atoi(os.Args[2])
	must(err)
	provisioner, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	issuer, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	jwtInput := make([]byte, 560)
	h := sha256.Sum256(jwtInput)
	jr, js, err := ecdsa.Sign(rand.Reader, provisioner, h[:])
	must(err)
	csrs := make([]csr, 64)
	for i := range csrs {
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		must(err)
		spki, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		must(err)
		info := make([]byte, 180)
		sig, err := ecdsa.SignASN1(rand.Reader, k, hashCSR(info))
		must(err)
		csrs[i] = csr{spki, info, sig}
	}
	tbs := make([]byte, 520)
	var lastSig []byte

	loop := func(count int) {
		for i := 0; i < count; i++ {
			c := csrs[i%len(csrs)]
			th := sha256.Sum256(jwtInput)
			if !ecdsa.Verify(&provisioner.PublicKey, th[:], new(big.Int).Set(jr), new(big.Int).Set(js)) {
				panic("jwt")
			}
			pub, err := x509.ParsePKIXPublicKey(c.spki)
			must(err)
			if !ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), hashCSR(c.info), c.sig) {
				panic("csr")
			}
			sha1.Sum(c.spki)
			lh := sha256.Sum256(tbs)
			lastSig, err = ecdsa.SignASN1(rand.Reader, issuer, lh[:])
			must(err)
			sha256.Sum256(append(tbs, lastSig...))
		}
	}
	loop(200)
	c0 := cpuMicros()
	t0 := time.Now()
	loop(n)
	floor := (cpuMicros() - c0) / float64(n)
	wall := float64(time.Since(t0).Microseconds()) / float64(n)

	lh := sha256.Sum256(tbs)
	c0 = cpuMicros()
	for i := 0; i < n; i++ {
		if !ecdsa.VerifyASN1(&issuer.PublicKey, lh[:], lastSig) {
			panic("leaf")
		}
	}
	check := (cpuMicros() - c0) / float64(n)
	fmt.Printf(`{"floorMicros":%.1f,"floorWallMicros":%.1f,"checkMicros":%.1f}`+"\n", floor, wall, check)
}
