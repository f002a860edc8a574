#!/usr/bin/env python3
"""UDP datagrams per second, application to application (docs/UTILITIES.md: udp-bench):

  - between two kernel servers over a shmif bus (udp-bench send in k2 -> udp-bench recv in k1),
  - through the syscall layer of one kernel (both ends in k3, over lo0, 127.0.0.1),
  - beside Linux UDP between two network namespaces over veth, measured in the same run
    (iperf3 -u at full rate, or python3 sockets without iperf3; root needed, else that
    baseline is reported missing),

for 64-byte and 1472-byte payloads. The figure is the receiver's: datagrams delivered to the
application per second, first to last. Prints rows "figure  value  baseline  ratio" that
scripts/bench-all.py collects. Every server, namespace and temporary file is removed on exit,
also on failure or SIGINT/SIGTERM.

Usage: python3 scripts/udp-bench.py [--bin .build/release] [--count64 N] [--count1472 N]
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = ["-lrumpnet", "-lrumpnet_net", "-lrumpnet_netinet", "-lrumpnet_shmif"]
NS_A, NS_B, VETH_A, VETH_B = "udpb-a", "udpb-b", "udpb-va", "udpb-vb"
FLOOR_64 = 100_000

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


def tool(name, *args, server=None, check=True, extra_env=None):
    env = dict(os.environ, **(extra_env or {}))
    if server:
        env["RUMP_SERVER"] = server
    r = subprocess.run([os.path.join(state["bin"], name), *args], env=env, capture_output=True, text=True, timeout=120)
    if check and r.returncode != 0:
        raise RuntimeError(f"{name} {' '.join(args)}: {r.stdout}{r.stderr}")
    return r


def start_kernel(name, components, extra_env=None):
    url = f"unix://{state['dir']}/{name}.sock"
    tool("rump_server", *components, url, extra_env=extra_env)  # daemonises once it listens
    state["servers"].append(url)
    return url


def rump_rate(recv_server, send_server, host, size, count, port):
    """udp-bench recv in one kernel, udp-bench send in (maybe) another; the receiver's rate."""
    env = dict(os.environ, RUMP_SERVER=recv_server)
    recv = subprocess.Popen([os.path.join(state["bin"], "udp-bench"), "recv", "-s", str(size), "-n", str(count),
                             "-t", "2000", "-W", "64", "-b", "230000", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = recv.stdout.readline()
        if not line.startswith("bound"):
            raise RuntimeError(f"receiver did not bind: {line}{recv.stderr.read()}")
        sent = tool("udp-bench", "send", "-s", str(size), "-n", str(count), "-W", "64", host, str(port),
                    server=send_server, check=False)
        out, err = recv.communicate(timeout=120)
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait()
    m = re.search(r"received (\d+) datagrams .* (\d+) datagrams/s", out)
    if not m:
        raise RuntimeError(f"receiver: {out}{err} / sender: {sent.stdout}{sent.stderr}")
    return int(m.group(2)), int(m.group(1)), sent.stdout.strip()


LINUX_RECV = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("0.0.0.0", int(sys.argv[1])))
count, size = int(sys.argv[2]), int(sys.argv[3])
print("bound", flush=True)
s.settimeout(30)
n, first, last = 0, 0.0, 0.0
buf = bytearray(size + 64)
try:
    s.recv_into(buf); first = last = time.monotonic(); n = 1
    s.settimeout(2)
    while n < count:
        s.recv_into(buf); n += 1
    last = time.monotonic()
except socket.timeout:
    pass
last = last if n >= count else time.monotonic() - 2
rate = int((n - 1) / (last - first)) if n > 1 and last > first else 0
print(f"received {n} datagrams: {rate} datagrams/s", flush=True)
"""

LINUX_SEND = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], int(sys.argv[2])))
data = b"Z" * int(sys.argv[4])
send = s.send
for _ in range(int(sys.argv[3])):
    try:
        send(data)
    except OSError:
        pass
"""


def linux_setup():
    if os.geteuid() != 0 or not shutil.which("ip"):
        return False
    state["netns"] = True
    cmds = [
        ["ip", "netns", "add", NS_A], ["ip", "netns", "add", NS_B],
        ["ip", "link", "add", VETH_A, "netns", NS_A, "type", "veth", "peer", "name", VETH_B, "netns", NS_B],
        ["ip", "-n", NS_A, "addr", "add", "10.99.0.1/24", "dev", VETH_A],
        ["ip", "-n", NS_B, "addr", "add", "10.99.0.2/24", "dev", VETH_B],
        ["ip", "-n", NS_A, "link", "set", VETH_A, "up"], ["ip", "-n", NS_B, "link", "set", VETH_B, "up"],
        ["ip", "-n", NS_A, "link", "set", "lo", "up"], ["ip", "-n", NS_B, "link", "set", "lo", "up"],
    ]
    for c in cmds:
        subprocess.run(c, check=True, capture_output=True)
    return True


def linux_rate_iperf3(size):
    """iperf3 -u at full speed for 2 s: datagrams the server received per second."""
    import json
    srv = subprocess.Popen(["ip", "netns", "exec", NS_A, "iperf3", "-s", "-1", "-p", "5299"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.3)
        r = subprocess.run(["ip", "netns", "exec", NS_B, "iperf3", "-c", "10.99.0.1", "-p", "5299", "-u", "-b", "0",
                            "-l", str(size), "-t", "2", "-J"], capture_output=True, text=True, timeout=60)
        j = json.loads(r.stdout)["end"]["sum"]
        got = j["packets"] - j["lost_packets"]
        return int(got / j["seconds"]), got, j["packets"]
    finally:
        if srv.poll() is None:
            srv.kill()
        srv.wait()


def linux_rate(size, count):
    recv = subprocess.Popen(["ip", "netns", "exec", NS_A, sys.executable, "-c", LINUX_RECV, "9000", str(count), str(size)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if not recv.stdout.readline().startswith("bound"):
            raise RuntimeError(recv.stderr.read())
        subprocess.run(["ip", "netns", "exec", NS_B, sys.executable, "-c", LINUX_SEND, "10.99.0.1", "9000", str(count), str(size)],
                       check=True, capture_output=True, timeout=120)
        out, _ = recv.communicate(timeout=60)
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait()
    m = re.search(r"received (\d+) datagrams: (\d+) datagrams/s", out)
    return (int(m.group(2)), int(m.group(1))) if m else (0, 0)


def malloc_counter():
    """scripts/malloc-count.c built into the scratch directory: the environment that makes a
    kernel count its heap allocations into a file, and a function reading the count (None
    without gcc)."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if not cc:
        return {}, None
    so = os.path.join(state["dir"], "malloc-count.so")
    r = subprocess.run([cc, "-O2", "-shared", "-fPIC", "-o", so, os.path.join(ROOT, "scripts", "malloc-count.c")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return {}, None
    counter = os.path.join(state["dir"], "k1.mallocs")
    with open(counter, "wb") as f:
        f.write(b"\0" * 8)

    def read():
        with open(counter, "rb") as f:
            return int.from_bytes(f.read(8), "little")
    return {"LD_PRELOAD": so, "MALLOC_COUNT_FILE": counter}, read


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release"))
    ap.add_argument("--count64", type=int, default=200_000)
    ap.add_argument("--count1472", type=int, default=50_000)
    a = ap.parse_args()
    state["bin"] = os.path.abspath(a.bin)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    state["dir"] = tempfile.mkdtemp(prefix="udpb-")
    try:
        count_env, mallocs = malloc_counter()
        k1, k2 = start_kernel("k1", KERNEL), start_kernel("k2", KERNEL)
        # k4 counts its heap allocations (an LD_PRELOAD counter), in runs of its own so that the
        # counting does not slow the rates above: the receive path's allocations per datagram.
        k4 = start_kernel("k4", KERNEL, count_env) if mallocs else None
        bus = os.path.join(state["dir"], "bus")
        for url, n in [(k1, 1), (k2, 2)] + ([(k4, 4)] if k4 else []):
            tool("ifconfig", "shmif0", "create", server=url)
            tool("ifconfig", "shmif0", "linkstr", bus, server=url)
            tool("ifconfig", "shmif0", "inet", f"10.0.0.{n}/24", server=url)
        # Resolve ARP first (one datagram to the discard port): a burst to an unresolved
        # neighbour loses all but the one packet ARP holds, which is not what we measure.
        tool("udp-bench", "send", "-n", "1", "10.0.0.1", "9", server=k2, check=False)
        if k4:
            tool("udp-bench", "send", "-n", "1", "10.0.0.4", "9", server=k2, check=False)
        k3 = start_kernel("k3", KERNEL[:3])
        have_linux = linux_setup()
        rows = []
        for size, count in ((64, a.count64), (1472, a.count1472)):
            base, base_n, base_sent = 0, 0, count
            base_text = "- (Linux netns need root)"
            if have_linux and shutil.which("iperf3"):
                base, base_n, base_sent = linux_rate_iperf3(size)
                base_text = f"{base:,} (Linux veth, iperf3 -u)"
            elif have_linux:
                base, base_n = linux_rate(size, count)
                base_text = f"{base:,} (Linux veth, python3 sockets)"
            for label, recv_k, send_k, host, port in (("two kernels over a bus", k1, k2, "10.0.0.1", 5000 + size),
                                                       ("one kernel, loopback", k3, k3, "127.0.0.1", 6000 + size)):
                rate, got, sent = rump_rate(recv_k, send_k, host, size, count, port)
                ratio = f"{rate / base:.3f}" if base else "-"
                rows.append((f"UDP {size} B app to app, {label}: datagrams/s", f"{rate:,}", base_text, ratio))
                rows.append((f"UDP {size} B app to app, {label}: delivered of sent", f"{got:,}/{count:,}",
                             f"{base_n:,}/{base_sent:,} (Linux)" if base else "-", "-"))
            if k4:
                before = mallocs()
                _, got4, _ = rump_rate(k4, k2, "10.0.0.4", size, max(count // 4, 1000), 7000 + size)
                if got4:
                    rows.append((f"UDP {size} B receive path over a bus: heap allocations per datagram (receiving kernel)",
                                 f"{(mallocs() - before) / got4:.2f}", "0 (none per datagram: the goal)", "-"))
            if size == 64:
                rows.append(("UDP 64 B floor (issue 9)", f"{FLOOR_64:,}", "300,000 (goal)", "-"))
        for r in rows:
            print("  ".join(r))
    finally:
        cleanup()


if __name__ == "__main__":
    main()
