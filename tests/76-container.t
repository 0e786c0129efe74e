#!/bin/bash
# The FROM scratch container image (issue 12 item 7): `make image` writes an
# OCI image archive without a container daemon; umoci (the real OCI tool)
# unpacks it, checking every digest, into a bundle whose rootfs holds nothing
# but our two static programs and the registry. That rootfs then runs as a
# container runtime would run it: the image's entrypoint and environment,
# PID 1 of fresh pid, mount and network namespaces, /proc mounted, nothing
# else, first without /dev/null (the issue asks that servers start even
# then), then with one bind-mounted (as Docker gives). Checked: the servers
# start, an orphan is adopted and reaped, the image's HEALTHCHECK passes, and
# SIGTERM stops every server within the shutdown budget with exit 0.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (namespaces, chroot)"
need umoci umoci || skip_all "umoci cannot be installed (apt-get install umoci)"
need unshare util-linux && need nsenter util-linux || skip_all "unshare/nsenter missing"
unshare --pid --fork --mount --net true 2>/dev/null || skip_all "cannot create pid, mount and network namespaces here"
plan 32

out=$(make -s -C "$ROOT" --no-print-directory image 2>&1); rc=$?
A=$ROOT/build/imageserving-oci.tar
ok $([ "$rc" = 0 ] && [ -s "$A" ]; echo $?) "make image writes build/imageserving-oci.tar"
[ "$rc" = 0 ] || diag "$out"
mkdir -p "$T/oci"; tar -xf "$A" -C "$T/oci"
out=$(umoci unpack --image "$T/oci:latest" "$T/bundle" 2>&1); rc=$?
is "$rc" 0 "umoci unpacks the archive (an OCI image layout; digests verified)"
[ "$rc" = 0 ] || { diag "$out"; exit 1; }
B=$T/bundle
is "$(cd "$B/rootfs" && find . ! -type d | sort | tr '\n' ' ')" \
	"./opt/imageserving/bin/imageserving ./opt/imageserving/bin/standin ./opt/imageserving/conf/SupervisorRegistry.xml " \
	"the image holds the static binary, the static stand-in and the registry, nothing else"
static=0; for f in imageserving standin; do
	file -b "$B/rootfs/opt/imageserving/bin/$f" 2>/dev/null | grep -q 'statically linked' || static=1
done
command -v file >/dev/null || static=0
ok "$static" "both programs are statically linked"

# What the image tells a runtime: from umoci's runtime config and the image config.
PY=$(command -v /usr/bin/python3 || command -v python3)  # (a version manager's shim costs seconds a call)
jq_() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }
args=$(jq_ "$B/config.json" 'print("\n".join(d["process"]["args"]))')
envs=$(jq_ "$B/config.json" 'print("\n".join(e for e in d["process"]["env"] if not e.startswith("TERM=")))')
want=$(sed -n 's/^ENTRYPOINT \[\(.*\)\]$/\1/p' "$ROOT/Dockerfile" | tr -d '"' | sed 's/, /\n/g')
is "$args" "$want" "the image's entrypoint is the Dockerfile's ($(echo $args))"
is "$(jq_ "$B/config.json" 'print(d["annotations"]["org.opencontainers.image.stopSignal"])')" SIGTERM "STOPSIGNAL SIGTERM"
mdigest=$(jq_ "$T/oci/index.json" 'print(d["manifests"][0]["digest"].split(":")[1])')
cdigest=$(jq_ "$T/oci/blobs/sha256/$mdigest" 'print(d["config"]["digest"].split(":")[1])')
hc=$(jq_ "$T/oci/blobs/sha256/$cdigest" 'h=d["config"]["Healthcheck"]["Test"]; assert h[0]=="CMD"; print("\n".join(h[1:]))')
like "$(echo $hc)" "^/opt/imageserving/bin/imageserving status$" "HEALTHCHECK runs the binary itself: $(echo $hc)"
budget=$(sed -n 's/.*<shutdownTimeout>\([0-9]*\)<.*/\1/p' "$B/rootfs/opt/imageserving/conf/SupervisorRegistry.xml")

# container TAG DEVNULL: run the image's rootfs as a container; 13 checks.
container() {
	local tag=$1 devnull=$2 R=$T/root-$1 U I ino helper hpid e t0 el rc inside left p
	cp -a "$B/rootfs" "$R"
	mkdir -p "$R/proc"
	[ "$devnull" = 1 ] && { mkdir -p "$R/dev"; : >"$R/dev/null"; }
	# PID 1 of new namespaces: sh mounts /proc (and /dev/null), then execs
	# into the chroot, so that the image's entrypoint keeps pid 1.
	unshare --pid --fork --mount --net --kill-child -- /bin/sh -c '
		r=$1 dn=$2; shift 2
		ip link set lo up 2>/dev/null
		mount -t proc proc "$r/proc" || exit 90
		[ "$dn" = 1 ] && { mount --bind /dev/null "$r/dev/null" || exit 91; }
		exec /usr/bin/env -i '"$(echo $envs)"' /usr/sbin/chroot "$r" "$@"' sh "$R" "$devnull" $args \
		</dev/null >"$T/out-$tag" 2>&1 &
	U=$!
	track "$U"
	I=
	# PID 1 of the new namespace (unshare may have a short-lived helper child too).
	first_child() {
		local c
		for c in $(cat /proc/"$U"/task/*/children 2>/dev/null); do
			[ "$(awk '/^NSpid:/ { print $NF }' /proc/"$c"/status 2>/dev/null)" = 1 ] && { I=$c; return 0; }
		done
		return 1
	}
	wait_for 5 first_child
	track "$I"
	is "$(awk '/^NSpid:/ { print $NF }' /proc/"$I"/status 2>/dev/null)" 1 "$tag: the entrypoint runs as PID 1 of a new pid namespace"
	ino=$(stat -L -c %i /proc/"$I"/ns/pid)

	RUN=$R/run/imageserving
	# From the host, the container's state file (by its column names): its
	# pids are those of the container's pid namespace.
	sstate() { state_raw "$1" state; }
	is_state() { [ "$(sstate "$1")" = "$2" ]; }
	up() { for s in is svg ps; do is_state "$s" running || return 1; done; }
	wait_for 10 up; rc=$?
	ok "$rc" "$tag: the servers is, svg and ps start ($(for s in is svg ps; do printf '%s=%s ' "$s" "$(sstate $s)"; done))"

	# The ps stand-in leaves a helper behind (its ns pid in its output).
	seen() { helper=$(sed -n 's/^ps stand-in: left helper \([0-9]*\) behind.*/\1/p' "$T/out-$tag" | tail -n 1); [ -n "$helper" ]; }
	wait_for 5 seen
	hostpid() {  # the host pid of ns pid $helper: a child of PID 1 by now
		local c
		for c in $(cat /proc/"$I"/task/*/children 2>/dev/null); do
			[ "$(awk '/^NSpid:/ { print $NF }' /proc/"$c"/status 2>/dev/null)" = "$helper" ] && { echo "$c"; return 0; }
		done
		return 1
	}
	hpid=
	adopted() { hpid=$(hostpid); }
	wait_for 3 adopted
	ok $([ -n "$hpid" ]; echo $?) "$tag: the orphaned helper (pid ${helper:-?} inside) is adopted by PID 1"
	gone() { [ -n "$hpid" ] && [ ! -e /proc/"$hpid" ]; }
	wait_for 6 gone; e=$?
	ok $([ "$e" = 0 ] && [ -z "$(zombies_of "$I")" ]; echo $?) "$tag: and reaped when it exits: no zombie left"

	# The HEALTHCHECK, run inside the container as a runtime would.
	env -i $envs "$(command -v nsenter)" -t "$I" -m -p -r $hc >"$T/hc-$tag" 2>&1; e=$?
	ok $([ "$e" = 0 ]; echo $?) "$tag: the image's HEALTHCHECK ($(echo $hc)) passes inside the container"
	# The Kubernetes exec probes (deploy/kubernetes/), run the same way, in
	# the container's network namespace: the endpoint listens on its loopback.
	for path in /livez /readyz; do
		env -i $envs "$(command -v nsenter)" -t "$I" -m -p -n -r /opt/imageserving/bin/imageserving probe "$path" \
			>"$T/probe-$tag" 2>&1; e=$?
		ok $([ "$e" = 0 ]; echo $?) "$tag: the exec probe 'imageserving probe $path' passes inside the container"
	done
	inside=$(tree_pids "$I")
	ok $([ "$(wc -l <<<"$inside")" = 4 ]; echo $?) "$tag: in the container: the supervisor and its 3 servers, nothing else ($(echo $inside))"

	t0=$(date +%s%N)
	kill -TERM "$I"
	wait "$U"; rc=$?
	el=$(( ($(date +%s%N) - t0) / 1000000 ))
	is "$rc" 0 "$tag: after SIGTERM the container's PID 1 exits 0"
	ok $([ "$el" -lt $((budget * 1000)) ]; echo $?) "$tag: within the shutdown budget (${el} ms < ${budget} s)"
	stopped=$(grep -c '^[a-z]* stand-in: stopping on signal 15$' "$T/out-$tag")
	ok $([ "$stopped" = 3 ]; echo $?) "$tag: every server was stopped by its SIGTERM, not killed with the namespace ($stopped of 3)"
	left=; for p in $inside; do [ -e /proc/"$p" ] && left="$left $p"; done
	is "$left" "" "$tag: nothing of the container is left"
}
ok $([ ! -e "$B/rootfs/dev" ] && [ ! -e "$B/rootfs/bin/sh" ]; echo $?) "the rootfs has no /dev and no shell"
container no-devnull 0
container devnull 1
done_testing
