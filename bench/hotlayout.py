#!/usr/bin/env python3
"""hotlayout.py: write mk/hot.ld, the list of the functions a running
supervisor executes, from a callgrind profile of one.

The release binary is one read-only segment of about 240 KiB, and the kernel
maps file pages 64 KiB at a time around each fault (fault-around), so the
memory a supervisor holds is decided by how many 64 KiB windows its steady
state touches, not by how much code it runs. mk/hot.ld gathers that code in
one output section just before .rodata (which is always touched); the daemon
drops its text pages once its servers are up (daemon/trim.c), and what
comes back is that section and .rodata.

    bench/hotlayout.py HOT_PROFILE WARM_PROFILE LINK_MAP UNSTRIPPED_BINARY >mk/hot.ld

`make hot-layout` takes the profiles (bench/hotprofile.sh) and runs this.
Hot: what the first profile saw, and the fixed lists below; warm: what only
the second saw (the endpoint, http checks), placed just before the hot
section so that using them costs the window before it and no more. Names are
input sections (-ffunction-sections: one per function, ours and musl's); a
name that no longer exists only falls back to .text, it breaks nothing."""
import re
import subprocess
import sys

# Always hot, whatever the profile saw: the trim itself (the code it returns
# to must not be dropped again), the clone3 spawn path (valgrind takes the
# fallback), the pidfd answers (valgrind has no pidfd_open), and the steady
# state's objects whole: the profile's services neither print nor fork, and
# one stray call into a cold window maps all 64 KiB of it. Hot must stay
# under ~66 KiB (the window before .rodata and what .rodata leaves of the
# next): tests/90-memory.t fails otherwise.
EXTRA_OBJECTS = ("daemon/trim.o", "daemon/loop.o", "daemon/server.o", "daemon/launch.o", "lib/spawn.o",
                 "lib/clone3.o", "daemon/ack.o", "daemon/commands.o", "daemon/escapees.o", "daemon/output.o",
                 "daemon/statefile.o", "daemon/pidtab.o", "daemon/health.o", "lib/procmem.o", "lib/proc.o",
                 "lib/util.o")


# The C library's part of the same (and of the vfork child, which runs in our
# memory: valgrind follows it as a separate process).
EXTRA_LIBC = ("dup2.lo", "fcntl.lo", "setsid.lo", "chdir.lo", "prctl.lo", "getppid.lo", "sigaction.lo",
              "sigemptyset.lo", "sigprocmask.lo", "execve.lo", "execvp.lo", "_exit.lo", "strchr.lo",
              "strchrnul.lo", "strtol.lo", "clock_gettime.lo", "syscall.lo", "__syscall_cp.lo", "memcpy.lo",
              "memset.lo", "strlen.lo", "close.lo", "kill.lo", "sigqueue.lo", "restore.lo", "strstr.lo")


# Hot although in a warm object: what every loop turn calls once an endpoint
# is configured, with or without requests.
EXTRA_SECTIONS = (".text.httpd_deadline", ".text.httpd_timers", ".text.endpoint_deadline",
                  ".text.endpoint_timers")

# Warm whatever the profile saw: the endpoint's, health checks' and readiness
# notifications' code (hot: only what every turn calls).
WARM_OBJECTS = ("daemon/health_tcp.o", "daemon/health_exec.o", "daemon/health_http.o", "daemon/notify.o",
                "daemon/endpoint.o", "daemon/metrics.o", "lib/httpd.o", "lib/httpd_conn.o", "lib/httpc.o",
                "lib/report.o", "libllhttp.a")


def profile_functions(path):
    names, addrs = set(), set()
    for line in open(path):
        m = re.match(r"^c?fn=(?:\(\d+\))?\s*(\S.*)$", line)
        if not m:
            continue
        n = re.sub(r"'\d+$", "", m.group(1).strip())
        if re.fullmatch(r"0x[0-9a-f]+", n):
            addrs.add(int(n, 16))
        else:
            names.add(n)
    return names, addrs


def symbols(binary):
    out = subprocess.run(["nm", binary], capture_output=True, text=True, check=True).stdout
    by_name = {}  # a static name can be in several objects: all of them
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "tTwW":
            by_name.setdefault(f[2], []).append(int(f[0], 16))
    return by_name


def input_sections(mapfile):
    """(start, size, section, file) of every .text input section placed."""
    text = open(mapfile).read()
    text = text[text.index("Linker script and memory map"):]
    res, pending = [], None
    for line in text.splitlines():
        m = re.match(r"^ (\.text\S*)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)", line)
        if m:
            res.append((int(m.group(2), 16), int(m.group(3), 16), m.group(1), m.group(4)))
            pending = None
            continue
        m = re.match(r"^ (\.text\S*)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S+)", line)
        if m and pending:
            res.append((int(m.group(1), 16), int(m.group(2), 16), pending, m.group(3)))
        pending = None
    return [r for r in res if r[0] and r[1]]


def pattern(section, path):
    m = re.match(r"^.*/(lib[^/]*\.a)\((.*)\)$", path)
    if m:
        return "*%s:%s(%s)" % (m.group(1), m.group(2), section)
    return "*%s(%s)" % (re.sub(r"^build/[^/]+/", "", path), section)


def addresses(profile, syms):
    names, addrs = profile_functions(profile)
    return addrs | {a for n in names for a in syms.get(n, [])}


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: hotlayout.py HOT_PROFILE WARM_PROFILE LINK_MAP UNSTRIPPED_BINARY")
    syms = symbols(sys.argv[4])
    hot_at, warm_at = addresses(sys.argv[1], syms), addresses(sys.argv[2], syms)
    secs = input_sections(sys.argv[3])
    hot, size, warm, wsize = [], 0, [], 0
    for start, sz, sec, path in secs:
        lib = re.match(r"^.*/libc\.a\((.*)\)$", path)
        p = pattern(sec, path)
        if (any(start <= a < start + sz for a in hot_at) or path.endswith(EXTRA_OBJECTS) or sec in EXTRA_SECTIONS or
                (lib and lib.group(1) in EXTRA_LIBC)):
            if p not in hot:
                hot.append(p)
                size += sz
        elif any(start <= a < start + sz for a in warm_at) or re.sub(r"\(.*\)$", "", path).endswith(WARM_OBJECTS):
            if p not in warm:
                warm.append(p)
                wsize += sz
    print("/* mk/hot.ld: generated by `make hot-layout` (bench/hotprofile.sh, bench/hotlayout.py)")
    print(" * from callgrind profiles of a running supervisor: hot %d input sections, %d bytes;" % (len(hot), size))
    print(" * warm (the endpoint, http checks) %d, %d bytes. After .text, before .rodata. */" % (len(warm), wsize))
    print("SECTIONS\n{\n  .text.warm :\n  {")
    for p in warm:
        print("    " + p)
    print("  }\n  .text.hot :\n  {")
    for p in hot:
        print("    " + p)
    print("  }\n}\nINSERT AFTER .text;")


main()
