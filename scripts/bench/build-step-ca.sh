#!/usr/bin/env bash
# Builds step-ca 0.19.0 (the version issue 6's reference figures come from) out of
# Debian's own Go source packages, for scripts/bench/step-ca.ts. Only apt is used:
# nothing is downloaded from anywhere else. Debian packages step-ca's libraries but not
# its `cmd/step-ca`, so a ten-line main below runs the library's own start command
# (certificates/commands.AppCommand), with the software KMS and CAS that `fx pki` uses.
#
#   scripts/bench/build-step-ca.sh [OUTPUT]     (default .bench/step-ca; about 30 s)
#
# Next to it, go-floor: scripts/bench/go-floor.go, floor.ts's loop in the same Go.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/.bench/step-ca}
src=/usr/share/gocode/src/github.com/smallstep/certificates
if ! command -v go > /dev/null || [ ! -d "$src" ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "needs: apt-get install golang-go golang-github-smallstep-certificates-dev (as root)" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends golang-go golang-github-smallstep-certificates-dev > /dev/null
fi
gopath=$(mktemp -d)
trap 'rm -rf "$gopath"' EXIT
mkdir -p "$gopath/src/stepca" "$(dirname "$out")"
cat > "$gopath/src/stepca/main.go" << 'GO'
package main

import (
	"fmt"
	"os"

	"github.com/smallstep/certificates/commands"
	"github.com/urfave/cli"

	_ "github.com/smallstep/certificates/cas/softcas"
	_ "github.com/smallstep/certificates/kms/softkms"
)

func main() {
	app := cli.NewApp()
	app.Name = "step-ca"
	app.Action = commands.AppCommand.Action
	app.Flags = commands.AppCommand.Flags
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
GO
cd "$gopath/src/stepca"
# Debian's Go libraries live in a GOPATH, not a module cache.
GO111MODULE=off GOPATH="$gopath:/usr/share/gocode" GOFLAGS= go build -o "$out" . 2> "$gopath/build.log" || { cat "$gopath/build.log" >&2; exit 1; }
# The same enrollment's crypto in this Go, for step-ca.ts to set beside floor.ts.
mkdir -p "$gopath/src/gofloor"
cp "$root/scripts/bench/go-floor.go" "$gopath/src/gofloor/main.go"
(cd "$gopath/src/gofloor" && GO111MODULE=off GOPATH="$gopath" GOFLAGS= go build -o "$(dirname "$out")/go-floor" .)
echo "step-ca $(dpkg-query -W -f '${Version}' golang-github-smallstep-certificates-dev) (Debian), $(go version | cut -d' ' -f3): $out"
