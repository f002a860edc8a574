#!/usr/bin/env python3
"""Writes the large example topologies (line-10.json, star-50.json) into topologies/.

Run from anywhere: python3 scripts/gen-topologies.py [--output DIR]. The output is
deterministic, so re-running it on an unchanged script leaves git clean (a test checks).

With --big, writes the thousand-node examples instead (not kept in git: megabytes of routes):
star-1000.json (a router and 999 hosts on four buses), line-255.json (255 routers in a line,
NetBSD's own evaluation case; the ends' net.inet.ip.ttl is 255 so that a ping crosses all 254
hops) and grid-32x32.json (1,024 routers, a bus per neighbour pair, XY routing with ranges
summarised as prefixes). Bring them up packed (docs/TOPOLOGY.md, "Placement").
"""
import json
import os
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "topologies")


def write(name, topo):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(topo, f, indent=2)
        f.write("\n")


def line_routers(n, second, summarise):
    # r1 - net1 - r2 - net2 - ... - r<n>; net<k> is 10.<second>.<k>.0/24 with r<k> at .1 and
    # r<k+1> at .2. Each router sends left-bound traffic by its default route and has a net
    # route for every subnet to its right (summarised as prefixes: at most 8 routes a router).
    buses = {f"net{k}": {"kind": "shmif"} for k in range(1, n)}
    nodes = {}
    for k in range(1, n + 1):
        ifs, routes = [], []
        if k > 1:
            ifs.append({"name": f"shmif{len(ifs)}", "bus": f"net{k-1}", "addresses": [f"10.{second}.{k-1}.2/24"]})
            routes.append({"destination": "default", "gateway": f"10.{second}.{k-1}.1"})
        if k < n:
            ifs.append({"name": f"shmif{len(ifs)}", "bus": f"net{k}", "addresses": [f"10.{second}.{k}.1/24"]})
            right = octet_prefixes(k + 1, n - 1) if summarise else [(j, 8) for j in range(k + 1, n)]
            for start, bits in right:
                routes.append({"destination": f"10.{second}.{start}.0/{16 + bits}", "gateway": f"10.{second}.{k}.2"})
        node = {"interfaces": ifs, "routes": routes}
        if 1 < k < n:
            node = {"sysctls": {"forwarding": True}, **node}
        elif summarise:
            # The ends of a long line: a ping crosses every hop (the default TTL is 64).
            node = {"sysctls": {"net.inet.ip.ttl": 255}, **node}
        nodes[f"r{k}"] = node
    return buses, nodes


def line(n=10):
    buses, nodes = line_routers(n, 0, summarise=False)
    return {
        "$schema": "./schema.json",
        "name": "line-10",
        "description": f"{n} routers in a line, {n-1} buses between neighbours, static routes end to end.",
        "buses": buses,
        "nodes": nodes,
        "checks": [
            {"from": "r1", "ping": f"r{n}"},
            {"from": f"r{n}", "ping": "r1"},
            {"from": "r1", "ping": f"10.0.{n-1}.2"},
            {"from": "r5", "ping": "r1"},
        ],
    }


def star(n=50):
    nodes = {
        f"n{k}": {"interfaces": [{"name": "shmif0", "bus": "lan0", "addresses": [f"10.0.0.{k}/24"]}]}
        for k in range(1, n + 1)
    }
    return {
        "$schema": "./schema.json",
        "name": "star-50",
        "description": f"{n} nodes on one bus.",
        "buses": {"lan0": {"kind": "shmif"}},
        "nodes": nodes,
        "checks": [
            {"from": "n1", "ping": "n2"},
            {"from": "n1", "ping": f"n{n // 2}"},
            {"from": "n1", "ping": f"n{n}"},
            {"from": f"n{n}", "ping": "n1"},
            {"from": "n1", "ping": "10.0.0.200", "expect": "failure", "count": 1},
        ],
    }


def octet_prefixes(lo, hi):
    """The fewest aligned blocks covering the values lo..hi of one octet: (start, bits)."""
    out = []
    while lo <= hi:
        size = 1
        while lo % (size * 2) == 0 and lo + size * 2 - 1 <= hi and size < 256:
            size *= 2
        out.append((lo, 8 - (size.bit_length() - 1)))
        lo += size
    return out


def big_star(hosts=999, buses=4):
    # A router on `buses` buses; host i is on bus i % buses, in 10.<bus+1>.0.0/16 with the
    # router at .0.1 as its default gateway.
    bus_names = [f"lan{b}" for b in range(buses)]
    nodes = {"router": {
        "sysctls": {"forwarding": True},
        "interfaces": [{"name": f"shmif{b}", "bus": bus_names[b], "addresses": [f"10.{b + 1}.0.1/16"]} for b in range(buses)],
    }}
    per_bus = [0] * buses
    last = {}
    for i in range(1, hosts + 1):
        b = (i - 1) % buses
        k = per_bus[b]
        per_bus[b] += 1
        name = f"h{i}"
        last[b] = name
        nodes[name] = {
            "interfaces": [{"name": "shmif0", "bus": bus_names[b], "addresses": [f"10.{b + 1}.{1 + k // 250}.{k % 250 + 1}/16"]}],
            "routes": [{"destination": "default", "gateway": f"10.{b + 1}.0.1"}],
        }
    return {
        "$schema": "./schema.json",
        "name": "star-1000",
        "description": f"A router and {hosts} hosts on {buses} buses ({hosts + 1} nodes).",
        "placement": "packed",
        "buses": {n: {"kind": "shmif"} for n in bus_names},
        "nodes": nodes,
        "checks": [
            {"from": "h1", "ping": "router"},
            {"from": "h1", "ping": "h5"},
            {"from": "h1", "ping": last[buses - 1]},
            {"from": last[1], "ping": "h1"},
            {"from": last[2], "ping": last[3]},
            {"from": "h1", "ping": "10.1.3.250", "expect": "failure", "count": 1},
        ],
    }


def big_line(n=255):
    buses, nodes = line_routers(n, 1, summarise=True)
    return {
        "$schema": "./schema.json",
        "name": f"line-{n}",
        "description": f"{n} routers in a line (NetBSD's shmif evaluation), {n-1} buses, {n-1} hops end to end.",
        "placement": "packed",
        "buses": buses,
        "nodes": nodes,
        "checks": [
            {"from": "r1", "ping": f"r{n}", "timeout": 10},
            {"from": f"r{n}", "ping": "r1", "timeout": 10},
            {"from": "r1", "ping": "r2"},
            {"from": "r40", "ping": "r1"},
        ],
    }


def big_grid(rows=32, cols=32):
    # Router (r, c) is g<r>_<c>. Row r's block is 10.<r+1>.0.0/16: the horizontal link
    # (r,c)-(r,c+1) is 10.<r+1>.<c+1>.0/24 (.1 left, .2 right), the vertical link (r,c)-(r+1,c)
    # is 10.<r+1>.<129+c>.0/24 (.1 upper, .2 lower), so every address lies in the block of the
    # row of its link's upper or left end. XY routing: another row's block goes up or down;
    # in the own row, a link left of the router goes left, right of it right.
    def name(r, c):
        return f"g{r}_{c}"
    buses, nodes = {}, {}
    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols:
                buses[f"h{r}_{c}"] = {"kind": "shmif"}
            if r + 1 < rows:
                buses[f"v{r}_{c}"] = {"kind": "shmif"}
    for r in range(rows):
        for c in range(cols):
            ifs, routes = [], []
            def add(bus, addr):
                ifs.append({"name": f"shmif{len(ifs)}", "bus": bus, "addresses": [addr]})
            if c > 0:
                add(f"h{r}_{c-1}", f"10.{r+1}.{c}.2/24")
            if c + 1 < cols:
                add(f"h{r}_{c}", f"10.{r+1}.{c+1}.1/24")
            if r > 0:
                add(f"v{r-1}_{c}", f"10.{r}.{129+c}.2/24")
            if r + 1 < rows:
                add(f"v{r}_{c}", f"10.{r+1}.{129+c}.1/24")
            def via(lo, hi, gw, second=None):
                for start, bits in octet_prefixes(lo, hi):
                    if second is None:
                        routes.append({"destination": f"10.{start}.0.0/{8 + bits}", "gateway": gw})
                    else:
                        routes.append({"destination": f"10.{second}.{start}.0/{16 + bits}", "gateway": gw})
            if r > 0:
                via(1, r, f"10.{r}.{129+c}.1")
            if r + 1 < rows:
                via(r + 2, rows, f"10.{r+1}.{129+c}.2")
            if c > 0:
                if c - 1 >= 1:
                    via(1, c - 1, f"10.{r+1}.{c}.1", second=r + 1)
                via(129, 129 + c - 1, f"10.{r+1}.{c}.1", second=r + 1)
            if c + 1 < cols:
                if c + 2 <= cols - 1:
                    via(c + 2, cols - 1, f"10.{r+1}.{c+1}.2", second=r + 1)
                via(129 + c + 1, 129 + cols - 1, f"10.{r+1}.{c+1}.2", second=r + 1)
            nodes[name(r, c)] = {"sysctls": {"forwarding": True}, "interfaces": ifs, "routes": routes}
    last = name(rows - 1, cols - 1)
    return {
        "$schema": "./schema.json",
        "name": f"grid-{rows}x{cols}",
        "description": f"{rows * cols} routers in a {rows}x{cols} grid, a bus per neighbour pair, XY routes.",
        "placement": "packed",
        "buses": buses,
        "nodes": nodes,
        "checks": [
            {"from": name(0, 0), "ping": last, "timeout": 10},
            {"from": last, "ping": name(0, 0), "timeout": 10},
            {"from": name(0, cols - 1), "ping": name(rows - 1, 0), "timeout": 10},
            {"from": name(rows // 2, cols // 2), "ping": name(0, 0), "timeout": 10},
        ],
    }


if __name__ == "__main__":
    args = sys.argv[1:]
    big = "--big" in args
    if big:
        args.remove("--big")
    OUT = args[1] if len(args) == 2 and args[0] == "--output" else HERE
    if big:
        write("star-1000.json", big_star())
        write("line-255.json", big_line())
        write("grid-32x32.json", big_grid())
    else:
        write("line-10.json", line())
        write("star-50.json", star())
