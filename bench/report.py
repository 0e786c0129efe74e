#!/usr/bin/env python3
"""report.py: turn bench.sh's samples.tsv into markdown tables: median and
min-max per system, each peer as a ratio to imageserving, and the SPEC §9
targets. Usage: report.py OUTDIR (reads samples.tsv, meta.txt, files.txt)."""
import os
import statistics
import sys

out = sys.argv[1]
US = "imageserving"

meta = {}
with open(os.path.join(out, "meta.txt")) as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition("\t")
        meta[k] = v
systems = meta.get("systems", "").split()
peers = [s for s in systems if s != US]

samples = {}  # (metric, system) -> [values]; None for NA
text = {}     # (metric, system) -> string value (non-numeric)
with open(os.path.join(out, "samples.tsv")) as f:
    for line in f:
        m, sysname, _rep, v = line.rstrip("\n").split("\t")
        try:
            samples.setdefault((m, sysname), []).append(float(v))
        except ValueError:
            if v == "NA":
                samples.setdefault((m, sysname), []).append(None)
            else:
                text[(m, sysname)] = v

files = {}
if os.path.exists(os.path.join(out, "files.txt")):
    with open(os.path.join(out, "files.txt")) as f:
        for line in f:
            parts = line.split()
            if parts:
                files[parts[0]] = parts[1:]


def vals(metric, system):
    return samples.get((metric, system), [])


def pooled(metrics, system):
    v = []
    for m in metrics:
        v += vals(m, system)
    return v


def stats(v):
    """median, min, max over the numeric values; n_missing."""
    good = [x for x in v if x is not None]
    if not good:
        return None
    return statistics.median(good), min(good), max(good), len(v) - len(good)


def fmt_num(x, unit):
    if unit == "ms":
        if x >= 100:
            return "%.0f" % x
        if x >= 10:
            return "%.1f" % x
        if x >= 1:
            return "%.2f" % x
        return "%.3f" % x
    if unit == "KiB":
        if x >= 10240:
            return "%.1f MiB" % (x / 1024)
        return "%.0f KiB" % x
    if unit == "%":
        return "%.3f %%" % x if x < 1 else "%.2f %%" % x
    if unit == "B":
        return "%.0f KiB" % (x / 1024) if x >= 1024 else "%.0f B" % x
    if x == int(x):
        return "%d" % x
    return "%.1f" % x


def cell(v, unit, timeout_note="timeout"):
    st = stats(v)
    if st is None:
        return "—" if not v else timeout_note
    med, lo, hi, miss = st
    s = fmt_num(med, unit)
    if len(v) > 1 and lo != hi:
        s += " (%s–%s)" % (fmt_num(lo, unit).split()[0], fmt_num(hi, unit))
    if miss:
        s += ", %d× %s" % (miss, timeout_note)
    return s


def ratio(peer_v, us_v):
    a, b = stats(peer_v), stats(us_v)
    if a is None or b is None:
        return "—"
    if b[0] == 0:
        return "= (both 0)" if a[0] == 0 else "∞ (ours 0)"
    r = a[0] / b[0]
    if r >= 10:
        return "×%.0f" % r
    return "×%.2f" % r


# (label, metrics pooled, unit)
ROWS = [
    ("Crash → respawn, 1st restart (ms)", ["crash1_ms"], "ms"),
    ("Crash loop, 2nd restart (ms)", ["crash2_ms"], "ms"),
    ("Crash loop, restarts 2–5 pooled (ms)", ["crash2_ms", "crash3_ms", "crash4_ms", "crash5_ms"], "ms"),
    ("Supervision CPU per crash restart (µs)", ["crash_cpu_us"], ""),
    ("Commanded restart → new process (ms)", ["cmdrestart_ms"], "ms"),
    ("Commanded restart, command returned (ms)", ["cmdrestart_ret_ms"], "ms"),
    ("Status query, 3 services (ms)", ["status_ms"], "ms"),
    ("imageserving /status over HTTP, 3 services (ms)", ["status_http_ms"], "ms"),
    ("imageserving crash → respawn with 64 connections held, one slowloris (ms)", ["crash_held_ms"], "ms"),
    ("imageserving /metrics scrape, 3 services (ms)", ["metrics3_scrape_ms"], "ms"),
    ("imageserving supervision CPU per /metrics scrape, 3 services (µs)", ["metrics3_scrape_cpu_us"], ""),
    ("imageserving /metrics scrape, %s services (ms)" % meta.get("big", "1000"), ["metrics%s_scrape_ms" % meta.get("big", "1000")], "ms"),
    ("imageserving supervision CPU per /metrics scrape, %s services (µs)" % meta.get("big", "1000"), ["metrics%s_scrape_cpu_us" % meta.get("big", "1000")], ""),
    ("Stop, 3 prompt services: all gone (ms)", ["stop_ms"], "ms"),
    ("Stop, 1 TERM-ignoring (2 s timeout): all gone (ms)", ["stopslow_ms"], "ms"),
    ("Start 3 services: all running (ms)", ["start3_ms"], "ms"),
    ("RSS of the tree, 3 services", ["rss3_kb"], "KiB"),
    ("PSS of the tree, 3 services", ["pss3_kb"], "KiB"),
    ("PSS of the tree, 3 services, after the crash loop, a restart and the status queries", ["pss3_after_kb"], "KiB"),
    ("Processes in the tree, 3 services", ["procs3"], ""),
    ("RSS of the tree, %s services" % meta.get("mid", "100"), ["rss%s_kb" % meta.get("mid", "100")], "KiB"),
    ("PSS of the tree, %s services" % meta.get("mid", "100"), ["pss%s_kb" % meta.get("mid", "100")], "KiB"),
    ("RSS of the tree, %s services" % meta.get("big", "1000"), ["rss%s_kb" % meta.get("big", "1000")], "KiB"),
    ("PSS of the tree, %s services" % meta.get("big", "1000"), ["pss%s_kb" % meta.get("big", "1000")], "KiB"),
    ("Idle %s s, 3 services: CPU (ms)" % meta.get("idle_s", "10"), ["idle_cpu_ms"], "ms"),
    ("Idle %s s, 3 services: wakeups (context switches)" % meta.get("idle_s", "10"), ["idle_wakeups"], ""),
    ("Idle %s s, 3 services: system calls" % meta.get("idle_s", "10"), ["idle_syscalls"], ""),
    ("Crash-forever service: supervision CPU (% of a core)", ["loop_cpu_pct"], "%"),
    ("imageserving supervisor CPU per tcp health probe (µs; %s servers, 1 s interval)" % meta.get("probe_n", "100"), ["probe_tcp_cpu_us"], ""),
    ("imageserving supervisor CPU per http health probe (µs)", ["probe_http_cpu_us"], ""),
    ("imageserving supervisor CPU per exec health probe (µs)", ["probe_exec_cpu_us"], ""),
    ("imageserving health probes counted in %s s (tcp, http, exec pooled)" % meta.get("probe_s", "10"), ["probe_tcp_count", "probe_http_count", "probe_exec_count"], ""),
    ("imageserving PSS, %s servers each with a tcp check every second (KiB)" % meta.get("big", "1000"), ["pss%s_tcpcheck_kb" % meta.get("big", "1000")], "KiB"),
    ("imageserving supervisor CPU, %s servers each with a tcp check every second (%% of a core)" % meta.get("big", "1000"), ["cpu%s_tcpcheck_pct" % meta.get("big", "1000")], "%"),
    ("imageserving tcp probes counted in %s s, %s servers" % (meta.get("probe_s", "10"), meta.get("big", "1000")), ["probes%s_tcpcheck" % meta.get("big", "1000")], ""),
    ("Crash-forever service: restarts in %s s" % meta.get("idle_s", "10"), ["loop_restarts"], ""),
    ("%s services: all running after start (ms)" % meta.get("big", "1000"), ["bigstart_ms"], "ms"),
    ("%s services: all back after killing all (ms)" % meta.get("big", "1000"), ["bigback_ms"], "ms"),
    ("%s services: back after the mass kill (count)" % meta.get("big", "1000"), ["bigback_count"], ""),
    ("%s services: supervision CPU to start them (ms)" % meta.get("big", "1000"), ["bigstart_cpu_ms"], "ms"),
    ("%s services: supervision CPU to bring them back (ms)" % meta.get("big", "1000"), ["bigback_cpu_ms"], "ms"),
    ("Binaries (bytes on disk)", ["size_bytes"], "B"),
    ("Bytes to run in an empty root (the binaries plus the C library, loader and libm they load)", ["size_root_bytes"], "B"),
]
NO_RATIO = {"bigback_count", "procs3", "loop_restarts"}


def p(s=""):
    print(s)


p("## Results")
p()
p("Run %s on %s CPUs (%s), %s RAM, %s, %s; scratch directory on %s; scheduling: %s."
  % (meta.get("date"), meta.get("nproc"), meta.get("cpu"), meta.get("mem"), meta.get("kernel"),
     meta.get("os"), meta.get("scratch", "?"), meta.get("sched", "?")))
p("Repetitions: %s of the 3-service measurements (status: 10 queries each), %s of the 2 s stop and of the "
  "idle window, %s of the %s-service ones (supervisord: 1)."
  % (meta.get("reps"), meta.get("reps_slow"), meta.get("reps_big"), meta.get("big")))
p("Load average before / after: %s / %s. Whole run: %s s."
  % (meta.get("load_before", "?"), meta.get("load_after", "?"), meta.get("elapsed_s", "?")))
p()
p("Versions: imageserving %s (commit %s, binary sha256 %s…); supervisor %s; runit %s; s6 %s; daemontools %s; %s."
  % (meta.get("imageserving", "?").replace("imageserving ", ""), meta.get("commit", "?"),
     meta.get("binary_sha256", "?"), meta.get("supervisor"), meta.get("runit"),
     meta.get("s6"), meta.get("daemontools"), meta.get("python3")))
p()
p("Median (min–max) over all samples. Lower is better everywhere.")
p()
p("| measure | " + " | ".join(systems) + " |")
p("|---|" + "---|" * len(systems))
for label, ms, unit in ROWS:
    if not any(vals(m, s) for m in ms for s in systems):
        continue
    p("| %s | " % label + " | ".join(cell(pooled(ms, s), unit) for s in systems) + " |")
row = []
for s in systems:
    t = text.get(("static", s), "—")
    row.append(t)
p("| Statically linked | " + " | ".join(row) + " |")
p()
if files:
    p("Binaries counted: " + "; ".join("%s: %s" % (s, ", ".join(files.get(s, []))) for s in systems if s in files) + ".")
    p()

p("### Each peer as a ratio to imageserving")
p()
p("Peer's median ÷ imageserving's median: above 1 means imageserving is faster or leaner by that factor.")
p()
p("| measure | " + " | ".join(peers) + " |")
p("|---|" + "---|" * len(peers))
for label, ms, unit in ROWS:
    if ms[0] in NO_RATIO:
        continue
    if not any(vals(m, US) for m in ms):
        continue
    p("| %s | " % label + " | ".join(ratio(pooled(ms, s), pooled(ms, US)) for s in peers) + " |")
p()

# This machine's floors (bench.sh floor_one): what a restart and a status
# command cost at least; each latency row that has one, as a multiple of it.
FLOOR = "floor"
FLOORS = [
    ("respawn", "floor_respawn_ms", "respawn floor: SIGKILL → a vfork + exec loop's next service stamped (`btool floor`)"),
    ("exec", "floor_exec_ms", "exec floor: a static binary that reads one small file, spawn to exit (`floorcat`)"),
    ("mass", "floor_mass1_ms", "mass floor: %s vfork + execs of the service (which stamps and exits) from one process, "
     "until all stamped (`btool massfloor`, W = 1)" % meta.get("big", "1000")),
    ("mass2", "floor_mass2_ms", "the same from two processes at once (W = 2: both CPUs)"),
]
FLOOR_ROWS = [
    ("Crash → respawn, 1st restart (ms)", ["crash1_ms"], ["respawn"]),
    ("Crash → respawn with 64 connections held, one slowloris (ms)", ["crash_held_ms"], ["respawn"]),
    ("Commanded restart → new process (ms)", ["cmdrestart_ms"], ["exec", "respawn"]),
    ("Commanded restart, command returned (ms)", ["cmdrestart_ret_ms"], ["exec", "respawn"]),
    ("Status query, 3 services (ms)", ["status_ms"], ["exec"]),
    ("Stop, 3 prompt services: all gone (ms)", ["stop_ms"], ["exec"]),
    ("%s services: all back after killing all (ms)" % meta.get("big", "1000"), ["bigback_ms"], ["mass"]),
    ("%s services: all running after start (ms)" % meta.get("big", "1000"), ["bigstart_ms"], ["mass"]),
]
floor_med = {}
for key, metric, _ in FLOORS:
    st = stats(vals(metric, FLOOR))
    if st:
        floor_med[key] = st[0]
if floor_med:
    p("### This machine's floors")
    p()
    p("| floor | median (min–max) |")
    p("|---|---|")
    for key, metric, label in FLOORS:
        if key in floor_med:
            p("| %s | %s ms |" % (label, cell(vals(metric, FLOOR), "ms")))
    p()
    p("Each latency row as a multiple of its floor (the floor of a command that must also respawn is "
      "exec + respawn; of the 1,000-service rows, the mass floor); the other rows (memory, CPU, counts, "
      "the idle window) have none.")
    p()
    p("| measure | floor (ms) | " + " | ".join(systems) + " |")
    p("|---|---|" + "---|" * len(systems))
    for label, ms, keys in FLOOR_ROWS:
        if not all(k in floor_med for k in keys) or not any(vals(m, s) for m in ms for s in systems):
            continue
        f = sum(floor_med[k] for k in keys)
        row = []
        for sysname in systems:
            st = stats(pooled(ms, sysname))
            row.append("—" if st is None else "%s (×%.2f)" % (fmt_num(st[0], "ms"), st[0] / f) if st[0] / f < 10
                       else "%s (×%.0f)" % (fmt_num(st[0], "ms"), st[0] / f))
        p("| %s | %s (%s) | " % (label, fmt_num(f, "ms"), " + ".join(keys)) + " | ".join(row) + " |")
    p()

p("### The crash loop, restart by restart (ms)")
p()
p("| restart | " + " | ".join(systems) + " |")
p("|---|" + "---|" * len(systems))
for i in range(1, 6):
    m = "crash%d_ms" % i
    p("| #%d | " % i + " | ".join(cell(vals(m, s), "ms") for s in systems) + " |")
p()


# SPEC §9 targets: (label, metric list, statistic, limit, unit)
def med(ms, s=US):
    st = stats(pooled(ms, s))
    return None if st is None else st[0]


def mx(ms, s=US):
    v = pooled(ms, s)
    if any(x is None for x in v):
        return None
    st = stats(v)
    return None if st is None else st[2]


big = meta.get("big", "1000")
mid = meta.get("mid", "100")
TARGETS = [
    ("crash → respawn, 1st restart", "≤ 0.4 ms median", med(["crash1_ms"]), 0.4, "ms"),
    ("crash loop: 2nd restart", "≤ 250 ms (every sample)", mx(["crash2_ms"]), 250, "ms"),
    ("crash-forever service: supervisor CPU", "< 1 % of a core", med(["loop_cpu_pct"]), 1, "%"),
    ("commanded `restart ID` → new process", "≤ 1 ms + the server's exit", med(["cmdrestart_ms"]), 1, "ms"),
    ("PSS, 3 servers", "≤ 256 KiB", med(["pss3_kb"]), 256, "KiB"),
    ("PSS, %s servers" % mid, "≤ 1 MiB", med(["pss%s_kb" % mid]), 1024, "KiB"),
    ("PSS, %s servers" % big, "≤ 4 MiB", med(["pss%s_kb" % big]), 4096, "KiB"),
    ("`ImageServing status`, 3 servers", "≤ 0.4 ms median", med(["status_ms"]), 0.4, "ms"),
    ("stop, prompt servers", "≤ 1.2 ms median", med(["stop_ms"]), 1.2, "ms"),
    ("stop, TERM-ignoring server, 2 s timeout", "≤ 2005 ms median", med(["stopslow_ms"]), 2005, "ms"),
    ("idle: wakeups with no timer due", "0", med(["idle_wakeups"]), 0, ""),
    ("%s servers: all started" % big, "≤ 300 ms median", med(["bigstart_ms"]), 300, "ms"),
    ("%s servers: all back after a mass kill" % big, "≤ 100 ms median", med(["bigback_ms"]), 100, "ms"),
    ("%s servers: none lost" % big, "%s back" % big, (stats(vals("bigback_count", US)) or [None, None])[1],
     None, "count"),
    ("binary size", "≤ 256 KiB", med(["size_bytes"]), 256 * 1024, "B"),
]
p("### SPEC §9 targets (imageserving)")
p()
p("| target | limit | measured | met |")
p("|---|---|---|---|")
for label, limit_txt, got, limit, unit in TARGETS:
    if got is None:
        p("| %s | %s | — | not measured |" % (label, limit_txt))
        continue
    if unit == "count":
        ok = got >= float(big)
        shown = "%d (least)" % got
    else:
        ok = got <= limit
        shown = fmt_num(got, unit) + ("" if unit in ("KiB", "B", "%", "") else " " + unit)
    p("| %s | %s | %s | %s |" % (label, limit_txt, shown, "yes" if ok else "**no**"))
st = text.get(("static", US))
if st:
    p("| one static binary | static | %s | %s |" % (st, "yes" if st == "static" else "**no**"))
p()
