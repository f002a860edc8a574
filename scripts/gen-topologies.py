#!/usr/bin/env python3
"""Writes the large example topologies (line-10.json, star-50.json) into topologies/.

Run from anywhere: python3 scripts/gen-topologies.py [--output DIR]. The output is
deterministic, so re-running it on an unchanged script leaves git clean (a test checks).
"""
import json
import os
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "topologies")


def write(name, topo):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(topo, f, indent=2)
        f.write("\n")


def line(n=10):
    # r1 - net1 - r2 - net2 - ... - r10; net<k> is 10.0.<k>.0/24 with r<k> at .1 and
    # r<k+1> at .2. Each router sends left-bound traffic by its default route and has a
    # net route for every subnet to its right.
    buses = {f"net{k}": {"kind": "shmif"} for k in range(1, n)}
    nodes = {}
    for k in range(1, n + 1):
        ifs, routes = [], []
        if k > 1:
            ifs.append({"name": f"shmif{len(ifs)}", "bus": f"net{k-1}", "addresses": [f"10.0.{k-1}.2/24"]})
            routes.append({"destination": "default", "gateway": f"10.0.{k-1}.1"})
        if k < n:
            ifs.append({"name": f"shmif{len(ifs)}", "bus": f"net{k}", "addresses": [f"10.0.{k}.1/24"]})
            for j in range(k + 1, n):
                routes.append({"destination": f"10.0.{j}.0/24", "gateway": f"10.0.{k}.2"})
        node = {"interfaces": ifs, "routes": routes}
        if 1 < k < n:
            node = {"sysctls": {"forwarding": True}, **node}
        nodes[f"r{k}"] = node
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


if __name__ == "__main__":
    OUT = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--output" else HERE
    write("line-10.json", line())
    write("star-50.json", star())
