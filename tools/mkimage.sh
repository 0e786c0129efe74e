#!/bin/sh
# mkimage.sh: the FROM scratch image as a standard OCI image archive (an OCI
# image layout, tarred), written with tar, gzip and sha256sum alone: no
# container daemon, no image tool. The entrypoint, stop signal, health check
# and environment are read from the Dockerfile, so that `docker build` and
# `make image` make the same image.
# Usage: tools/mkimage.sh BINARY STANDIN REGISTRY DOCKERFILE OUT.tar
# Leaves the root filesystem in build/image/rootfs (the Dockerfile's COPY).
set -eu

bin=$1 standin=$2 registry=$3 dockerfile=$4 out=$5
work=$(dirname "$out")/image
rootfs=$work/rootfs layout=$work/oci
say() { printf 'mkimage: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
for f in "$bin" "$standin" "$registry" "$dockerfile"; do [ -f "$f" ] || die "missing $f"; done

# ---- the root filesystem: one layer ----
rm -rf "$rootfs" "$layout"
mkdir -p "$rootfs/opt/imageserving/bin" "$rootfs/opt/imageserving/conf" "$layout/blobs/sha256"
cp "$bin" "$rootfs/opt/imageserving/bin/imageserving"
cp "$standin" "$rootfs/opt/imageserving/bin/standin"
cp "$registry" "$rootfs/opt/imageserving/conf/SupervisorRegistry.xml"
chmod 0755 "$rootfs/opt/imageserving/bin/imageserving" "$rootfs/opt/imageserving/bin/standin"
chmod 0644 "$rootfs/opt/imageserving/conf/SupervisorRegistry.xml"
find "$rootfs" -type d -exec chmod 0755 {} +

epoch=${SOURCE_DATE_EPOCH:-$(git -C "$(dirname "$dockerfile")" log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
# Reproducible: sorted names, fixed owner and times, no atime/ctime records.
tarit() {
	tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" --format=posix \
		--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$1" -cf - .
}
tarit "$rootfs" >"$work/layer.tar"
diff_id=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -9 <"$work/layer.tar" >"$work/layer.tar.gz"
rm -f "$work/layer.tar"

# blob FILE: move FILE into the layout under its digest; prints "DIGEST SIZE".
blob() {
	d=$(sha256sum "$1" | cut -d' ' -f1)
	s=$(wc -c <"$1" | tr -d ' ')
	mv "$1" "$layout/blobs/sha256/$d"
	echo "$d $s"
}
set -- $(blob "$work/layer.tar.gz"); layer_digest=$1 layer_size=$2

# ---- the Dockerfile's settings ----
json_str() { printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"; }
instr() { sed -n "s/^$1[[:space:]]\{1,\}//p" "$dockerfile" | tail -n 1; }
entrypoint=$(instr ENTRYPOINT)
case $entrypoint in \[*\]) ;; *) die "ENTRYPOINT must be in JSON (exec) form in $dockerfile" ;; esac
stopsignal=$(instr STOPSIGNAL)
env=
for kv in $(sed -n 's/^ENV[[:space:]]\{1,\}//p' "$dockerfile"); do env="$env${env:+, }$(json_str "$kv")"; done
# HEALTHCHECK [--interval=D --timeout=D --start-period=D --retries=N] CMD [...]
hc=$(instr HEALTHCHECK)
ns() {  # 30s, 1m, 500ms -> nanoseconds
	case $1 in
	*ms) echo $(( ${1%ms} * 1000000 )) ;;
	*s) echo $(( ${1%s} * 1000000000 )) ;;
	*m) echo $(( ${1%m} * 60000000000 )) ;;
	*h) echo $(( ${1%h} * 3600000000000 )) ;;
	*) die "bad duration in HEALTHCHECK: $1" ;;
	esac
}
health=
if [ -n "$hc" ]; then
	cmd=${hc#*CMD }
	case $cmd in \[*\]) ;; *) die "HEALTHCHECK CMD must be in JSON (exec) form in $dockerfile" ;; esac
	health="\"Test\": [\"CMD\", ${cmd#\[}"
	for o in ${hc%%CMD *}; do
		case $o in
		--interval=*) health="$health, \"Interval\": $(ns "${o#*=}")" ;;
		--timeout=*) health="$health, \"Timeout\": $(ns "${o#*=}")" ;;
		--start-period=*) health="$health, \"StartPeriod\": $(ns "${o#*=}")" ;;
		--retries=*) health="$health, \"Retries\": ${o#*=}" ;;
		*) die "unknown HEALTHCHECK option $o" ;;
		esac
	done
	health=", \"Healthcheck\": {$health}"
fi
case $(uname -m) in
x86_64) arch=amd64 ;; aarch64) arch=arm64 ;; armv7l) arch=arm ;; i?86) arch=386 ;; *) arch=$(uname -m) ;;
esac
version=$("$rootfs/opt/imageserving/bin/imageserving" --version | cut -d" " -f2)

printf '%s\n' "{\"created\": \"$created\", \"architecture\": \"$arch\", \"os\": \"linux\",
 \"config\": {\"Env\": [$env], \"Entrypoint\": $entrypoint, \"StopSignal\": $(json_str "$stopsignal")$health,
  \"Labels\": {\"org.opencontainers.image.title\": \"imageserving\", \"org.opencontainers.image.version\": \"$version\"}},
 \"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"sha256:$diff_id\"]},
 \"history\": [{\"created\": \"$created\", \"created_by\": \"tools/mkimage.sh (FROM scratch, COPY build/image/rootfs/ /)\"}]}" \
	>"$work/config.json"
set -- $(blob "$work/config.json"); config_digest=$1 config_size=$2

printf '%s\n' "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",
 \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"sha256:$config_digest\", \"size\": $config_size},
 \"layers\": [{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \"sha256:$layer_digest\", \"size\": $layer_size}]}" \
	>"$work/manifest.json"
set -- $(blob "$work/manifest.json"); manifest_digest=$1 manifest_size=$2

printf '{"imageLayoutVersion": "1.0.0"}\n' >"$layout/oci-layout"
printf '%s\n' "{\"schemaVersion\": 2, \"mediaType\": \"application/vnd.oci.image.index.v1+json\",
 \"manifests\": [{\"mediaType\": \"application/vnd.oci.image.manifest.v1+json\", \"digest\": \"sha256:$manifest_digest\",
  \"size\": $manifest_size, \"platform\": {\"architecture\": \"$arch\", \"os\": \"linux\"},
  \"annotations\": {\"org.opencontainers.image.ref.name\": \"latest\"}}]}" >"$layout/index.json"

tarit "$layout" >"$out.tmp"
mv "$out.tmp" "$out"
say "$out: OCI image archive, $arch, manifest sha256:$manifest_digest (load with: podman load -i $out, or skopeo copy oci-archive:$out ...)"
