#!/usr/bin/env python3
"""TCP application to application (docs/UTILITIES.md: ttcp, tcp-bench):

  - throughput between two kernel servers over a shmif bus: ttcp -t -s in k2 -> ttcp -r -s in
    k1 through the remote-syscall protocol (1 GiB by default), the median of --runs runs,
  - connections per second: tcp-bench connect in k2 -> tcp-bench accept in k1 (connect,
    accept, close on both ends, a window of connections in progress),
  - beside Linux TCP between two network namespaces over veth, measured in the same run:
    iperf3 for throughput, python3 sockets for the connection loop (root needed, else that
    baseline is reported missing).

Prints rows "figure  value  baseline  ratio" that scripts/bench-all.py collects. Every
server, namespace and temporary file is removed on exit, also on failure or SIGINT/SIGTERM.
Stack to stack in one process is rumpnet-bench's.

Usage: python3 scripts/tcp-bench.py [--bin .build/release] [--mib 1024] [--buflen 131072]
                                    [--connections 2000] [--runs 3]
"""
import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_shmif"]
NS_A, NS_B, VETH_A, VETH_B = "tcpb-a", "tcpb-b", "tcpb-va", "tcpb-vb"
FLOOR_MBPS, GOAL_MBPS = 150, 400

state = {"dir": None, "servers": [], "netns": False, "bin": None}


def cleanup(*_):
    b = state["bin"]
    for url in state["servers"]:
        subprocess.run([os.path.join(b, "halt")], env=dict(os.environ, RUMP_SERVER=url),
                       capture_output=True, timeout=10)
    state["servers"] = []
    if state["netns"]:
        for ns in (NS_A, NS_B):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        state["netns"] = False
    if state["dir"]:
        shutil.rmtree(state["dir"], ignore_errors=True)
        state["dir"] = None


def on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


def tool(name, *args, server=None, check=True, timeout=120):
    env = dict(os.environ)
    if server:
        env["RUMP_SERVER"] = server
    r = subprocess.run([os.path.join(state["bin"], name), *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{name} {' '.join(args)}: {r.stdout}{r.stderr}")
    return r


def start_kernel(name):
    url = f"unix://{state['dir']}/{name}.sock"
    tool("rump_server", *KERNEL, url)  # daemonises once it listens
    state["servers"].append(url)
    return url


def wait_listening(server, port):
    """netstat -an until *.port is in LISTEN (the receiver is ready)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        out = tool("netstat", "-an", "-f", "inet", server=server, check=False).stdout
        if re.search(rf"\*\.{port} .*LISTEN", out):
            return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listens on port {port}")


def ttcp_rate(k_recv, k_send, host, port, buflen, count):
    """Bytes per second the receiver saw (its bytes over its seconds), and the bytes."""
    env = dict(os.environ, RUMP_SERVER=k_recv)
    recv = subprocess.Popen([os.path.join(state["bin"], "ttcp"), "-r", "-s", "-l", str(buflen), "-p", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_listening(k_recv, port)
        sent = tool("ttcp", "-t", "-s", "-l", str(buflen), "-n", str(count), "-p", str(port), host,
                    server=k_send, check=False, timeout=600)
        _, err = recv.communicate(timeout=120)
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait()
    m = re.search(r"ttcp-r: (\d+) bytes in ([\d.]+) real seconds", err)
    if not m or sent.returncode != 0:
        raise RuntimeError(f"ttcp receiver: {err} / transmitter: {sent.stderr}")
    n, t = int(m.group(1)), float(m.group(2))
    return n / max(t, 0.001), n


def connection_rate(k_accept, k_connect, host, port, count):
    env = dict(os.environ, RUMP_SERVER=k_accept)
    acc = subprocess.Popen([os.path.join(state["bin"], "tcp-bench"), "accept", "-n", str(count), str(port)],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if not acc.stdout.readline().startswith("listening"):
            raise RuntimeError(f"tcp-bench accept: {acc.stderr.read()}")
        c = tool("tcp-bench", "connect", "-n", str(count), host, str(port), server=k_connect, check=False, timeout=300)
        out, err = acc.communicate(timeout=120)
    finally:
        if acc.poll() is None:
            acc.kill()
            acc.wait()
    m = re.search(r"connected (\d+) connections .*: (\d+) connections/s", c.stdout)
    if not m:
        raise RuntimeError(f"tcp-bench connect: {c.stdout}{c.stderr} / accept: {out}{err}")
    return int(m.group(2))


def linux_setup():
    if os.geteuid() != 0 or not shutil.which("ip"):
        return False
    state["netns"] = True
    cmds = [
        ["ip", "netns", "add", NS_A], ["ip", "netns", "add", NS_B],
        ["ip", "link", "add", VETH_A, "netns", NS_A, "type", "veth", "peer", "name", VETH_B, "netns", NS_B],
        ["ip", "-n", NS_A, "addr", "add", "10.98.0.1/24", "dev", VETH_A],
        ["ip", "-n", NS_B, "addr", "add", "10.98.0.2/24", "dev", VETH_B],
        ["ip", "-n", NS_A, "link", "set", VETH_A, "up"], ["ip", "-n", NS_B, "link", "set", VETH_B, "up"],
        ["ip", "-n", NS_A, "link", "set", "lo", "up"], ["ip", "-n", NS_B, "link", "set", "lo", "up"],
    ]
    for c in cmds:
        subprocess.run(c, check=True, capture_output=True)
    return True


def linux_iperf3(seconds):
    """iperf3 TCP for `seconds`: bytes per second the server received."""
    srv = subprocess.Popen(["ip", "netns", "exec", NS_A, "iperf3", "-s", "-1", "-p", "5298"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        r = subprocess.run(["ip", "netns", "exec", NS_B, "iperf3", "-c", "10.98.0.1", "-p", "5298", "-t", str(seconds), "-J"],
                           capture_output=True, text=True, timeout=120)
        return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 8
    finally:
        if srv.poll() is None:
            srv.kill()
        srv.wait()


LINUX_ACCEPT = r"""
import socket, sys
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", int(sys.argv[1]))); l.listen(128)
print("listening", flush=True)
for _ in range(int(sys.argv[2])):
    c, _ = l.accept(); c.close()
"""

LINUX_CONNECT = r"""
import socket, sys, time
n = int(sys.argv[3]); start = time.monotonic()
for _ in range(n):
    s = socket.create_connection((sys.argv[1], int(sys.argv[2]))); s.close()
print(int(n / (time.monotonic() - start)))
"""


def linux_connection_rate(count):
    acc = subprocess.Popen(["ip", "netns", "exec", NS_A, sys.executable, "-c", LINUX_ACCEPT, "9001", str(count)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if not acc.stdout.readline().startswith("listening"):
            raise RuntimeError(acc.stderr.read())
        r = subprocess.run(["ip", "netns", "exec", NS_B, sys.executable, "-c", LINUX_CONNECT, "10.98.0.1", "9001", str(count)],
                           check=True, capture_output=True, text=True, timeout=120)
        acc.wait(timeout=60)
        return int(r.stdout.strip())
    finally:
        if acc.poll() is None:
            acc.kill()
            acc.wait()


def mb(bytes_per_second):
    return bytes_per_second / 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release"))
    ap.add_argument("--mib", type=int, default=1024, help="MiB per throughput run")
    ap.add_argument("--buflen", type=int, default=131072, help="ttcp -l")
    ap.add_argument("--connections", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    state["bin"] = os.path.abspath(a.bin)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    state["dir"] = tempfile.mkdtemp(prefix="tcpb-")
    try:
        k1, k2 = start_kernel("k1"), start_kernel("k2")
        bus = os.path.join(state["dir"], "bus")
        for url, n in [(k1, 1), (k2, 2)]:
            tool("ifconfig", "shmif0", "create", server=url)
            tool("ifconfig", "shmif0", "linkstr", bus, server=url)
            tool("ifconfig", "shmif0", "inet", f"10.0.0.{n}/24", server=url)
        have_linux = linux_setup()
        count = max(1, a.mib * (1 << 20) // a.buflen)
        rates = []
        for i in range(a.runs):
            rate, _ = ttcp_rate(k1, k2, "10.0.0.1", 5001 + i, a.buflen, count)
            rates.append(rate)
        rump = statistics.median(rates)
        base, base_text = 0, "- (Linux netns need root and iperf3)"
        if have_linux and shutil.which("iperf3"):
            base = statistics.median([linux_iperf3(3) for _ in range(a.runs)])
            base_text = f"{mb(base):,.0f} (Linux veth, iperf3)"
        rows = [(f"TCP app to app, two kernels over a bus (ttcp -l {a.buflen}, {a.mib} MiB, median of {a.runs}): MB/s",
                 f"{mb(rump):,.1f}", base_text, f"{rump / base:.3f}" if base else "-"),
                ("TCP app to app: runs (MB/s)", " ".join(f"{mb(r):.1f}" for r in rates), "-", "-"),
                ("TCP app to app floor / goal (issue 10): MB/s", f"{FLOOR_MBPS}", f"{GOAL_MBPS} (goal)", "-")]
        conns = [connection_rate(k1, k2, "10.0.0.1", 6001 + i, a.connections) for i in range(a.runs)]
        crate = statistics.median(conns)
        cbase, cbase_text = 0, "- (Linux netns need root)"
        if have_linux:
            cbase = statistics.median([linux_connection_rate(a.connections) for _ in range(a.runs)])
            cbase_text = f"{cbase:,} (Linux veth, python3 sockets)"
        rows.append((f"TCP connections/s (connect, accept, close; {a.connections} per run, median of {a.runs})",
                     f"{crate:,}", cbase_text, f"{crate / cbase:.3f}" if cbase else "-"))
        for r in rows:
            print("  ".join(r))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
