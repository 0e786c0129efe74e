#!/bin/bash
# The systemd unit (issue 12 item 6): conf/systemd/imageserving.service (Type=notify), as
# make install writes it, passes `systemd-analyze verify` (no systemd running
# needed) with its binary and man pages in place; its stop timeout leaves
# room for the registry's whole shutdown budget.
. "$(dirname "$0")/lib.sh"
need systemd-analyze systemd || skip_all "systemd-analyze cannot be installed (apt-get install systemd)"
plan 7
U=$ROOT/conf/systemd/imageserving.service
P=$T/prefix
make -s -C "$ROOT" --no-print-directory install DESTDIR= PREFIX="$P" SYSCONFDIR="$T/etc" >/dev/null 2>&1
ok $? "make install PREFIX=$P SYSCONFDIR=$T/etc"
IU=$T/etc/systemd/system/imageserving.service
man_opt=; command -v man >/dev/null || man_opt=--man=no
out=$(MANPATH=$P/share/man: SYSTEMD_LOG_LEVEL=notice systemd-analyze verify $man_opt "$IU" 2>&1); rc=$?
is "$rc:$out" "0:" "systemd-analyze verify passes the installed unit silently"
# The shipped file itself (paths under /usr/local) passes too, but for its
# binary that is not installed there.
out=$(systemd-analyze verify --man=no "$U" 2>&1 | grep -v "/usr/local/bin/imageserving is not executable")
is "$out" "" "the shipped unit has no other complaint"

prop() { sed -n "s/^$1=//p" "$IU" | tail -n 1; }
is "$(prop Type)/$(prop NotifyAccess)/$(prop KillMode)/$(prop Restart)" "notify/main/mixed/on-failure" \
	"Type=notify with NotifyAccess=main (the supervisor speaks sd_notify), KillMode=mixed, Restart=on-failure"
is "$(prop ExecReload)" "$P/bin/imageserving reload" "ExecReload runs imageserving reload (validates, then SIGHUP)"
budget=$(sed -n 's/.*<shutdownTimeout>\([0-9]*\)<.*/\1/p' "$ROOT/conf/SupervisorRegistry.xml")
stop=$(prop TimeoutStopSec)
ok $([ -n "$budget" ] && [ "${stop:-0}" -gt "$budget" ]; echo $?) \
	"TimeoutStopSec ($stop s) is above the shipped registry's shutdownTimeout ($budget s)"
# What the hardening must not take away from the servers.
bad=$(grep -E '^(MemoryDenyWriteExecute|DynamicUser|PrivateUsers)=yes' "$U")
is "$bad" "" "no hardening that breaks a JVM's JIT or the servers' own users"
make -s -C "$ROOT" --no-print-directory uninstall DESTDIR= PREFIX="$P" SYSCONFDIR="$T/etc" >/dev/null 2>&1
done_testing
