#!/usr/bin/env bash
# test.sh: installs what the tests need, then runs every test, the format check and sfi's scan of itself.
# Usage: ./test.sh            (CI: .ci/run calls exactly this)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

say() { printf '\n== %s\n' "$*"; }

# 1. System packages: git (history tests), python3 (deep-tree fixture), Node.js + npm (SARIF multitool, openid-client),
#    SoftHSM2 + OpenSC (the HSM and pkcs11-tool), PostgreSQL (the scale-out store).
missing=()
[ -f /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || missing+=(opensc)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# python3-packaging: PEP 440 ordering is cross-checked against Python's own library (Pep440CrossCheckTests).
{ /usr/bin/python3 -c 'import packaging' || python3 -c 'import packaging'; } >/dev/null 2>&1 || missing+=(python3-packaging)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v mkfifo >/dev/null 2>&1 || missing+=(coreutils)
# clang + zlib1g-dev: the native AOT build of sfi scan, which ./sfi makes by default and step 6 builds and compares.
if ! command -v clang >/dev/null 2>&1; then
  missing+=(clang zlib1g-dev)
elif [ "$(clang -print-file-name=libz.so)" = libz.so ]; then # clang's answer when it finds no zlib to link with
  missing+=(zlib1g-dev)
fi
# chromium: the web console's browser tests (Playwright drives Debian's build; no browser is downloaded).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# systemd-analyze: the deploy/systemd unit is checked by systemd itself (DeploymentManifestTests).
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing ${missing[*]}; install them (Debian: sudo apt-get install ${missing[*]})" >&2
    exit 2
  fi
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "test.sh: the .NET 10 SDK is required ('dotnet' is not on the PATH)" >&2
  exit 2
fi

# 2. npm tools, pinned by their package-lock.json: the SARIF multitool, and openid-client (the server tests drive it).
say "installing the SARIF multitool and openid-client"
(cd tools/sarif && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
(cd tools/openid-client && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
multitool_dir="$here/tools/sarif/node_modules/@microsoft/sarif-multitool-linux"
chmod u+x "$multitool_dir/Sarif.Multitool"
# The native binary: the npm shim re-joins arguments through a shell, which would split "Sarif;Gh".
export SFI_SARIF_MULTITOOL="$multitool_dir/Sarif.Multitool"
# Ajv with the official CycloneDX 1.6 (npm @cyclonedx/cyclonedx-library) and SPDX 2.3 schemas: validates sfi sbom.
(cd tools/sbom && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
export SFI_SBOM_VALIDATOR="$here/tools/sbom/validate.mjs"
# axe-core: the web console's browser tests inject it into every page (accessibility).
(cd tools/axe && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
export SFI_AXE_SCRIPT="$here/tools/axe/node_modules/axe-core/axe.min.js"

# ./sfi scan starts a native AOT build in the background by default (docs/install.md, "Native AOT"): not here, where
# it would compete with the tests for the two cores (timing tests included) and race step 6's own build of it. Step 6
# builds it in the foreground, once; the tests of the launcher set SFI_AOT themselves.
export SFI_AOT=0

# 3. A throw-away PostgreSQL on 127.0.0.1 and a free port for the store tests; stopped when this script exits.
say "starting PostgreSQL for the tests"
pgroot="$(mktemp -d -t sfi-pg.XXXXXX)"
chmod 755 "$pgroot"
trap 'tools/postgres-for-tests.sh stop "$pgroot/data"; rm -rf "$pgroot"' EXIT
SFI_TEST_POSTGRES="$(tools/postgres-for-tests.sh start "$pgroot/data")"
export SFI_TEST_POSTGRES

# 4. Build policy: formatting is part of the build.
say "dotnet format --verify-no-changes"
dotnet restore SecureFuture.slnx -v quiet
dotnet format SecureFuture.slnx --verify-no-changes --no-restore

# 5. Every test.
say "dotnet test"
results="$here/artifacts/test-results"
rm -rf "$results"
status=0
dotnet test SecureFuture.slnx -c Release --no-restore --logger "trx" --results-directory "$results" || status=$?

# 5b. Fuzz smoke (docs/fuzzing.md): every parser of untrusted input, over its seed corpus plus a fixed number of seeded
#     mutations, in one process (about a minute); a crash or hang fails the run and its input is kept in artifacts/.
say "fuzz smoke: fuzz/SecureFuture.Fuzz smoke all"
dotnet run --project fuzz/SecureFuture.Fuzz -c Release --no-restore -- smoke all --corpus fuzz/corpus --mutations 500 \
  --findings "$here/artifacts/fuzz-findings" || status=1

# 6. The native AOT build of sfi scan, built as ./sfi builds it, reports exactly what the ReadyToRun build reports
#    (tools/aot-parity.sh: test data, rules, samples, archives, encoded values, malformed input, exit codes).
say "native AOT build and parity: tools/aot-parity.sh"
aot_started=$SECONDS
tools/aot-parity.sh || status=1
echo "test.sh: native AOT build and parity check took $((SECONDS - aot_started)) s"

# 7. The project eats its own cooking: no high-severity secret in this repository (with the native build step 6 made).
say "sfi scan . --fail-on high"
self=0
SFI_AOT=1 ./sfi scan . --fail-on high || self=$?

# 8. ...and analyzes its own threat model: every high or critical threat is mitigated or justified.
say "sfi threatmodel analyze docs/threat-model/sfi.yaml --fail-on high"
./sfi threatmodel analyze docs/threat-model/sfi.yaml --fail-on high || self=$?

# One closing line that any CI reader understands.
python3 - "$results" "$self" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
failures = []
for path in sorted(glob.glob(sys.argv[1] + "/*.trx")):
    root = ET.parse(path).getroot()
    c = root.find(".//{*}Counters")
    passed += int(c.get("passed", 0)); failed += int(c.get("failed", 0)) + int(c.get("error", 0))
    skipped += int(c.get("notExecuted", 0))
    for r in root.findall(".//{*}UnitTestResult"):
        if r.get("outcome") in ("Failed", "Error"):
            message = r.find(".//{*}ErrorInfo/{*}Message")
            lines = (message.text or "").strip().splitlines() if message is not None else []
            failures.append(f"  FAILED {r.get('testName')}: {lines[0][:300] if lines else '(no message)'}")
# CI shows only the end of the log: name every failed test here, with the first line of its message.
for line in failures:
    print(line)
if sys.argv[2] != "0":
    failed += 1  # the self-checks (scan, threat model) count as a test
else:
    passed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
[ "$status" -eq 0 ] && [ "$self" -eq 0 ]
