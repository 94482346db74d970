#!/usr/bin/env bash
# build/release.sh: sfi's release artefacts (docs/install.md, "Release artefacts").
#
#   build/release.sh [--rid RID]... [--out DIR] [--tool-package] [--aot] [--sign-ring RING]
#
# For each runtime (default: linux-x64 and linux-arm64) a self-contained single-file `sfi` (no .NET needed on the
# machine), then beside each artefact:
#   FILE.sha256     its SHA-256, in `sha256sum -c` format
#   FILE.cdx.json   a CycloneDX 1.6 SBOM of what it is built from (sfi sbom over the CLI's locked packages)
#   FILE.sig        with --sign-ring: a detached JWS by that key ring of a running `sfi serve` (sfi keys sign-file;
#                   SFI_SERVER and SFI_ADMIN_KEY or --admin-key-file as for every `sfi keys` command)
# and LICENSE (MIT) once in DIR. --tool-package adds the .NET tool package (SecureFuture.Cli.VERSION.nupkg) to the same
# treatment. --aot adds an experimental native AOT build of this machine's runtime, sfi-VERSION-RID-aot (needs clang
# and zlib1g-dev; docs/install.md, "Native AOT", says what it can and cannot do).
# Builds are reproducible: SOURCE_DATE_EPOCH is the last commit's time unless already set.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rids=()
out="$here/artifacts/release"
ring=
tool_package=
aot=
while [ $# -gt 0 ]; do
  case "$1" in
    --rid) rids+=("$2"); shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --sign-ring) ring="$2"; shift 2 ;;
    --tool-package) tool_package=1; shift ;;
    --aot) aot=1; shift ;;
    *) echo "release.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ ${#rids[@]} -gt 0 ] || rids=(linux-x64 linux-arm64)
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 315532800)}"
project="$here/src/SecureFuture.Cli/SecureFuture.Cli.csproj"
work="$(mktemp -d -t sfi-release.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# The sfi that makes the SBOMs and signatures: the build of this host's runtime when there is one, else ./sfi.
sfi=("$here/sfi")
artefacts=()
for rid in "${rids[@]}"; do
  echo "release.sh: $rid single-file build" >&2
  # The committed lock files record the graph of ./sfi's linux-x64 build; a linux-arm64 restore and the single-file
  # analyzer's ILLink package would rewrite them, so the release restore keeps its own lock files under obj/ (versions
  # stay pinned by Directory.Packages.props).
  dotnet publish "$project" -c Release -r "$rid" --self-contained true -nologo -v quiet -clp:ErrorsOnly -nodeReuse:false \
    -p:NuGetLockFilePath="obj/release-$rid.packages.lock.json" -p:RestoreLockedMode=false \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:EnableCompressionInSingleFile=true \
    -p:DebugType=embedded -p:UseAppHost=true -o "$work/$rid"
  version="$("$work/$rid/sfi" --version 2>/dev/null | cut -d+ -f1 || true)"
  [ -n "$version" ] || version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$here/Directory.Build.props" | head -1)"
  name="sfi-$version-$rid"
  cp "$work/$rid/sfi" "$out/$name"
  chmod 0755 "$out/$name"
  artefacts+=("$name")
  if [ "$rid" = "linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')" ]; then sfi=("$out/$name"); fi
done

if [ -n "$aot" ]; then
  host="linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/')"
  missing=()
  command -v clang >/dev/null || missing+=(clang)
  [ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
  [ ${#missing[@]} -eq 0 ] || { echo "release.sh: --aot needs ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 2; }
  echo "release.sh: $host native AOT build" >&2
  # The trimming and AOT analysis warns about the reflection sfi's libraries still use (reflection-based
  # System.Text.Json off the scan path; ASP.NET Core MVC for sfi serve): docs/install.md lists them. They are reported,
  # not errors, for this variant only; the ILCompiler package is the one the SDK picks. The secret, IaC, code and deps
  # scans report what the ReadyToRun build's do (docs/benchmarks.md, "Native AOT"). ./sfi's SFI_AOT=1 builds the same.
  dotnet publish "$project" -c Release -r "$host" -nologo -v quiet -clp:ErrorsOnly -nodeReuse:false \
    -p:NuGetLockFilePath="obj/release-$host-aot.packages.lock.json" -p:RestoreLockedMode=false \
    -p:PublishAot=true -p:TreatWarningsAsErrors=false -p:StripSymbols=true -o "$work/$host-aot"
  version="$("$work/$host-aot/sfi" --version 2>/dev/null | cut -d+ -f1 || true)"
  [ -n "$version" ] || version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$here/Directory.Build.props" | head -1)"
  cp "$work/$host-aot/sfi" "$out/sfi-$version-$host-aot"
  chmod 0755 "$out/sfi-$version-$host-aot"
  artefacts+=("sfi-$version-$host-aot")
fi

if [ -n "$tool_package" ]; then
  echo "release.sh: .NET tool package" >&2
  dotnet pack "$project" -c Release -o "$work/nupkg" -nologo -v quiet -clp:ErrorsOnly -nodeReuse:false
  for p in "$work"/nupkg/*.nupkg; do cp "$p" "$out/"; artefacts+=("$(basename "$p")"); done
fi

# The licence travels with the binaries as it does inside the tool package.
cp "$here/LICENSE" "$out/LICENSE"
cd "$out"
for name in "${artefacts[@]}"; do
  sha256sum "$name" > "$name.sha256"
  # The artefact is built from the CLI project's locked packages (every runtime's, in one lock file).
  "${sfi[@]}" sbom "$here/src/SecureFuture.Cli/packages.lock.json" --name "$name" --format cyclonedx --output "$name.cdx.json"
  if [ -n "$ring" ]; then
    "${sfi[@]}" keys sign-file "$name" --ring "$ring" --output "$name.sig"
  fi
  echo "release.sh: $out/$name $(cut -d' ' -f1 "$name.sha256")" >&2
done
