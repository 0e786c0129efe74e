#!/bin/bash
# Security: credentials, inherited fds and environment of servers; another
# user's client; planted symbolic links; argv passed without a shell.
. "$(dirname "$0")/lib.sh"
plan 16
if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	for i in $(seq 16); do skip "needs root and a nobody user"; done
	exit 0
fi
mkdir -p "$T/log"
cat >"$REG" <<EOF
<supervisor><config><log>$T/log/supervisor.log</log><temp>$RUN</temp></config>
<servers>
 <server id="u"><executable>/bin/sleep</executable><arguments><argument>3600</argument></arguments>
  <user>nobody</user><stopTimeout>2</stopTimeout></server>
 <server id="lit"><executable>/usr/bin/printf</executable>
  <arguments><argument>[%s]\n</argument><argument>a b</argument><argument>\$(id)</argument><argument>;ls</argument></arguments>
  <restartPolicy>never</restartPolicy></server>
</servers></supervisor>
EOF
exec 7>"$T/leak"   # an fd the supervisor inherits and must not pass on
sv_start; ok $? "supervisor starts"
exec 7>&-
pu=$(spid u)
is "$(awk '/^Uid:/ {print $2}' /proc/"$pu"/status)" "$(id -u nobody)" "server runs as user nobody"
is "$(awk '/^Gid:/ {print $2}' /proc/"$pu"/status)" "$(id -g nobody)" "with nobody's primary group"
is "$(awk '/^Groups:/ {$1=""; print $0}' /proc/"$pu"/status | tr -d ' ')" "$(id -g nobody)" "supplementary groups reset to the primary group"
is "$(ls /proc/"$pu"/fd | sort -n | tr '\n' ' ')" "0 1 2 " "server inherits no fd beyond 0-2"
is "$(awk '/^SigBlk:/ {print $2}' /proc/"$pu"/status)" 0000000000000000 "server starts with no signal blocked"
is "$(awk '/^SigIgn:/ {print $2}' /proc/"$pu"/status)" 0000000000000000 "and no signal ignored (SIGXFSZ, ignored by the supervisor, included)"
envof() { tr '\0' '\n' </proc/"$pu"/environ; }
like "$(envof)" "(^|$(printf '\n'))USER=nobody" "USER is the server's user"
like "$(envof)" "HOME=$(getent passwd nobody | cut -d: -f6)" "HOME is the user's home"
like "$(envof)" "IMAGESERVING_SERVER=u" "the server carries its id marker"
wait_for 5 grep -q 'a b' "$T/log/lit.log"
is "$(grep -v '^[0-9TZ:.-]* imageserving: lit started, pid' "$T/log/lit.log")" "$(printf '[a b]\n[$(id)]\n[;ls]')" "arguments reach the program verbatim, never through a shell"

# Another user's client cannot control the daemon, and says why.
chmod 755 "$T"; chmod 644 "$REG"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$BIN" -c "$REG" stop 2>&1); rc=$?
is "$rc" 4 "another user's stop fails with exit 4 (LSB: insufficient privilege)"
like "$out" "permission denied.*runs as uid 0" "and says the supervisor belongs to another user"
ok $(alive "$SUP"; echo $?) "the supervisor is still running"
sv_stop

# A trace log that is a planted symbolic link is never followed.
ln -s /etc/passwd-is-test-target "$T/log/planted.log"
sed -i "s|$T/log/supervisor.log|$T/log/planted.log|" "$REG"
out=$("$BIN" supervisor -f -c "$REG" 2>&1); rc=$?
ok $([ "$rc" -ne 0 ] && [ ! -e /etc/passwd-is-test-target ]; echo $?) "a symlinked trace log is refused (exit $rc) and its target not created"
# A run directory that is a symbolic link owned by another user is refused.
sed -i "s|$T/log/planted.log|$T/log/supervisor.log|" "$REG"
mkdir -p "$T/elsewhere"; rm -rf "$RUN"; ln -s "$T/elsewhere" "$RUN"; chown -h nobody "$RUN"
out=$("$BIN" supervisor -f -c "$REG" 2>&1); rc=$?
like "$rc:$out" "^1:.*symbolic link owned by uid $(id -u nobody)" "a run directory linked by another user is refused"
