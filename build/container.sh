#!/usr/bin/env bash
# build/container.sh: an OCI image of `sfi serve` without a container engine or registry (docs/deploy.md, "Container
# image").
#
#   build/container.sh --binary FILE [--out DIR] [--suite SUITE] [--mirror URL]
#
# FILE is build/release.sh's self-contained single-file linux-x64 `sfi`. The image is a minimal Debian root file system
# made by mmdebstrap from the Debian mirror (glibc, OpenSSL, zlib, libstdc++, SoftHSM2, whose set-up needs passwd, and
# CA certificates; no tools beyond Debian's essential set), the binary as /usr/local/bin/sfi, and a config that runs
# it as the unprivileged user sfi (10001:10001) with /var/lib/sfi as its data volume. Nothing in the image needs to be written:
# the single-file build extracts its native libraries under /tmp (DOTNET_BUNDLE_EXTRACT_BASE_DIR), so the image runs
# with a read-only root file system and writable /tmp and /var/lib/sfi volumes (deploy/kubernetes/deployment.yaml).
#
# Output in DIR (default artifacts/container): sfi-VERSION-oci.tar, an OCI image layout archive with the tag VERSION
# (`skopeo copy oci-archive:sfi-VERSION-oci.tar docker://REGISTRY/sfi:VERSION`, or `podman load -i`), and its .sha256.
# The image is checked before the script succeeds: skopeo must read the layout, the config must name the non-root
# user, the entrypoint and the volume, and the image's own sfi must start as that user inside the image's root file
# system (chroot) with SoftHSM2's module in place. Needs root (or mmdebstrap's unshare mode), mmdebstrap, umoci and skopeo (Debian
# packages of the same names). Times are SOURCE_DATE_EPOCH's; byte-for-byte reproducibility is not checked yet.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary=
out="$here/artifacts/container"
suite=bookworm
mirror=http://deb.debian.org/debian
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --suite) suite="$2"; shift 2 ;;
    --mirror) mirror="$2"; shift 2 ;;
    *) echo "container.sh: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
done
[ -n "$binary" ] && [ -x "$binary" ] || { echo "container.sh: --binary FILE (an executable linux-x64 single-file sfi) is required" >&2; exit 2; }
missing=()
for tool in mmdebstrap umoci skopeo; do command -v "$tool" >/dev/null || missing+=("$tool"); done
[ ${#missing[@]} -eq 0 ] || { echo "container.sh: missing ${missing[*]} (apt-get install ${missing[*]})" >&2; exit 2; }

export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 315532800)}"
version="$("$binary" --version | cut -d+ -f1)"
work="$(mktemp -d -t sfi-container.XXXXXX)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
out="$(cd "$out" && pwd)"
uid=10001

echo "container.sh: Debian $suite root file system from $mirror" >&2
# Documentation, manual pages and translations are left out; the package database stays so that scanners of the
# image (sfi sbom, Trivy, Grype) can list what is inside.
mmdebstrap --variant=essential --architectures=amd64 \
  --include=passwd,libssl3,zlib1g,libstdc++6,libgcc-s1,softhsm2,ca-certificates \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook="copy-in '$binary' /usr/local/bin" \
  --customize-hook="mv \"\$1/usr/local/bin/$(basename "$binary")\" \"\$1/usr/local/bin/sfi\"; chmod 0755 \"\$1/usr/local/bin/sfi\"" \
  --customize-hook="echo 'sfi:x:$uid:$uid:sfi serve:/var/lib/sfi:/usr/sbin/nologin' >> \"\$1/etc/passwd\"; echo 'sfi:x:$uid:' >> \"\$1/etc/group\"" \
  --customize-hook="install -d -m 0750 -o $uid -g $uid \"\$1/var/lib/sfi\"; install -d -m 1777 \"\$1/tmp\"" \
  --customize-hook="rm -rf \"\$1\"/var/cache/apt/* \"\$1\"/var/lib/apt/lists/* \"\$1\"/var/log/*" \
  "$suite" "$work/rootfs.tar" "$mirror"

echo "container.sh: OCI image sfi:$version" >&2
layout="$work/oci"
image="$layout:$version"
umoci init --layout "$layout"
umoci new --image "$image"
umoci raw add-layer --image "$image" "$work/rootfs.tar"
created="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)"
umoci config --image "$image" --created "$created" --author "SecureFuture contributors" \
  --architecture amd64 --os linux \
  --config.user "$uid:$uid" --config.workingdir /var/lib/sfi \
  --config.entrypoint /usr/local/bin/sfi --config.cmd serve --config.cmd --data-dir=/var/lib/sfi \
  --config.env DOTNET_BUNDLE_EXTRACT_BASE_DIR=/tmp/sfi-bundle --config.env DOTNET_gcServer=0 --config.env DOTNET_TC_QuickJit=1 \
  --config.env DOTNET_TC_QuickJitForLoops=1 --config.env DOTNET_HillClimbing_Disable=1 \
  --config.env DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 \
  --config.volume /var/lib/sfi --config.volume /tmp \
  --config.exposedports 5080/tcp \
  --config.label "org.opencontainers.image.title=sfi" \
  --config.label "org.opencontainers.image.version=$version" \
  --config.label "org.opencontainers.image.licenses=MIT" \
  --config.label "org.opencontainers.image.description=sfi serve: HSM-held keys (SoftHSM2 inside, or a mounted PKCS#11 module) and the token service"
umoci gc --layout "$layout"

# Check the layout as a consumer reads it before publishing it.
config="$(skopeo inspect --config "oci:$image")"
python3 - "$config" "$uid" <<'EOF'
import json, sys
config, uid = json.loads(sys.argv[1]), sys.argv[2]
c = config["config"]
problems = []
if c.get("User") != f"{uid}:{uid}": problems.append(f"user {c.get('User')!r}, not {uid}:{uid}")
if c.get("Entrypoint") != ["/usr/local/bin/sfi"]: problems.append(f"entrypoint {c.get('Entrypoint')!r}")
if "/var/lib/sfi" not in (c.get("Volumes") or {}): problems.append("no /var/lib/sfi volume")
if not any(e.startswith("DOTNET_BUNDLE_EXTRACT_BASE_DIR=/tmp/") for e in c.get("Env", [])): problems.append("bundle extraction not under /tmp")
if config.get("architecture") != "amd64" or config.get("os") != "linux": problems.append("not linux/amd64")
if problems:
    sys.exit("container.sh: the image config is wrong: " + "; ".join(problems))
EOF

# The image's sfi starts as the image's user in the image's root file system, with the image's environment.
rootfs="$work/unpacked"
umoci raw unpack --image "$image" "$rootfs"
[ -f "$rootfs/usr/lib/softhsm/libsofthsm2.so" ] || { echo "container.sh: SoftHSM2's module is missing from the image" >&2; exit 1; }
chroot --userspec="$uid:$uid" "$rootfs" /usr/bin/env -i DOTNET_BUNDLE_EXTRACT_BASE_DIR=/tmp/sfi-bundle /usr/local/bin/sfi --version \
  || { echo "container.sh: the image's sfi does not start as $uid:$uid" >&2; exit 1; }

name="sfi-$version-oci.tar"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -C "$layout" -cf "$out/$name" .
skopeo inspect "oci-archive:$out/$name:$version" >/dev/null
(cd "$out" && sha256sum "$name" > "$name.sha256")
echo "container.sh: $out/$name $(cut -d' ' -f1 "$out/$name.sha256") ($(du -m "$out/$name" | cut -f1) MB)" >&2
