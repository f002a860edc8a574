#!/usr/bin/env python3
"""Runs every benchmark of the project (release build) and prints ONE table: each figure
beside the baseline measured in the same run, and the ratio. The raw output of each benchmark
is kept in lab-output/bench/ for reference. Run from the checkout: python3 scripts/bench-all.py
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REL = os.path.join(ROOT, ".build", "release")
OUT = os.path.join(ROOT, "lab-output", "bench")

BENCHES = [
    ("bus", [os.path.join(REL, "shmifctl"), "bench"]),
    ("stack", [os.path.join(REL, "rumpnet-bench")]),
    ("impair", [os.path.join(REL, "rumpnet-bench"), "impair"]),
    ("kernel", [os.path.join(REL, "kernel-bench")]),
    ("ping", [os.path.join(ROOT, "scripts", "ping-bench.sh")]),
    ("ping6", [os.path.join(ROOT, "scripts", "ping6-bench.sh")]),
    ("lab", [os.path.join(ROOT, "scripts", "lab-bench.sh")]),
    ("udp", [sys.executable, os.path.join(ROOT, "scripts", "udp-bench.py")]),
    ("tcp", [sys.executable, os.path.join(ROOT, "scripts", "tcp-bench.py")]),
    ("tap", [os.path.join(ROOT, "scripts", "tap-bench.sh")]),
    ("host", [os.path.join(ROOT, "scripts", "host-bench.sh")]),
]


def num(s):
    return float(s.replace(",", ""))


def rows_columns(area, text, unit_of=lambda name: ""):
    """Tables printed as: figure  value  baseline  ratio (two or more spaces apart)."""
    rows = []
    for line in text.splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) < 3 or not re.match(r"^[0-9][0-9.,]*", parts[1]):
            continue
        value = parts[1]
        base = parts[2] if len(parts) > 2 else "-"
        ratio = parts[3] if len(parts) > 3 else "-"
        rows.append((area, parts[0], value, base, ratio))
    return rows


def rows_stack(text):
    rows, memcpy = [], None
    for line in text.splitlines():
        m = re.match(r"^(.*?)\s{2,}(\d+) packets/s\s+([\d.]+) ns/packet\s+([\d.]+) allocs/packet", line)
        if not m:
            continue
        name, pps, ns, allocs = m.group(1).strip(), int(m.group(2)), float(m.group(3)), float(m.group(4))
        if name.startswith("memcpy"):
            memcpy = (pps, ns)
        else:
            rows.append([name, pps, ns, allocs])
    out = []
    for line in text.splitlines():
        m = re.match(r"^(tcp stream.*?)\s{2,}(\S+(?: MB/s)?)\s{2,}(.+?)\s{2,}(\S+)$", line)
        if m:
            out.append(("stack", m.group(1), m.group(2), m.group(3), m.group(4)))
    for name, pps, ns, allocs in rows:
        base_pps, base_ns = memcpy or (0, 0)
        out.append(("stack", f"{name}: packets/s", f"{pps:,}", f"{base_pps:,} (memcpy)", f"{pps / base_pps:.3f}" if base_pps else "-"))
        out.append(("stack", f"{name}: ns per packet", f"{ns}", f"{base_ns} (memcpy)", f"{ns / base_ns:.1f}" if base_ns else "-"))
        out.append(("stack", f"{name}: heap allocations per packet", f"{allocs}", "0 (goal)", "-"))
    return out


def rows_kernel(text):
    vals = {}
    for line in text.splitlines():
        m = re.match(r"^(.*?):\s+([\d.]+) (ms|KiB)$", line.strip())
        if m:
            vals[m.group(1).strip()] = (float(m.group(2)), m.group(3))
    out = []

    def pair(figure, key, base_key, base_label):
        if key in vals and base_key in vals:
            v, u = vals[key]
            b, _ = vals[base_key]
            fmt = (lambda x: f"{x / 1024:.1f} MB") if u == "KiB" else (lambda x: f"{x} ms")
            out.append(("kernel", figure, fmt(v), f"{fmt(b)} ({base_label})", f"{v / b:.1f}"))

    swift_tool = "baseline: Swift tool (rump_wmd) spawn -> exit"
    pair("start to listening, -s", "start to listening, -s (spawn -> first connect)", swift_tool, "Swift tool spawn->exit")
    pair("start to listening, daemonised", "start to listening, daemonised (spawn -> parent exit)", swift_tool, "Swift tool spawn->exit")
    idle_swift = "baseline: idle Swift process (kernel-bench --idle) RSS"
    pair("idle server RSS, -s", "idle server RSS, -s (foreground)", idle_swift, "idle Swift process")
    pair("idle server RSS, daemonised", "idle server RSS, daemonised (default)", idle_swift, "idle Swift process")
    pair("server RSS after 1000 sysctl -a", "server RSS after 1000 sysctl -a requests", idle_swift, "idle Swift process")
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    table = []
    for area, cmd in BENCHES:
        print(f"running {area} benchmark ...", file=sys.stderr, flush=True)
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
        with open(os.path.join(OUT, f"{area}.txt"), "w") as f:
            f.write(r.stdout + r.stderr)
        if r.returncode != 0:
            table.append((area, f"FAILED (status {r.returncode}), see lab-output/bench/{area}.txt", "-", "-", "-"))
            continue
        if area == "stack":
            table += rows_stack(r.stdout)
        elif area == "kernel":
            table += rows_kernel(r.stdout)
        else:
            table += rows_columns(area, r.stdout)
    header = ("area", "figure", "value", "baseline (same run)", "ratio")
    widths = [max(len(str(row[i])) for row in table + [header]) for i in range(5)]
    line = lambda row: "  ".join(str(c).ljust(widths[i]) for i, c in enumerate(row)).rstrip()
    print(line(header))
    print(line(tuple("-" * w for w in widths)))
    for row in table:
        print(line(row))


if __name__ == "__main__":
    main()
