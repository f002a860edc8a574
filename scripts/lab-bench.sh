#!/usr/bin/env bash
# Lab bring-up benchmark: for stars of N nodes on one bus, the time from `rumpnet-lab up` to
# all checks passed, the `down` time and the RSS per node, beside a shell baseline that
# builds the same star from Linux network namespaces, veth pairs and a bridge (ip -batch),
# pings the same pairs, and tears it down, in the same run. Medians of RUNS runs. Root only.
set -euo pipefail
SIZES=${SIZES:-"10 50 200"}
RUNS=${RUNS:-3}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
work=$(mktemp -d /tmp/lab-bench.XXXXXX)
export RUMPNET_LAB_STATE=$work/state
cleanup() {
  "$BIN/rumpnet-lab" down star-bench >/dev/null 2>&1 || true
  for ns in $(ip netns list 2>/dev/null | awk '/^lb-/{print $1}'); do ip netns del "$ns" 2>/dev/null || true; done
  ip link del lb-br0 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

star() {  # star topology of $1 nodes on 10.1.0.0/16; checks from n1 to n2, the middle and the last, and back
  local n=$1
  python3 - "$n" <<'PY'
import json, sys
n = int(sys.argv[1])
addr = lambda k: f"10.1.{k // 250}.{k % 250 + 1}"
nodes = {f"n{k}": {"interfaces": [{"bus": "lan0", "addresses": [addr(k) + "/16"]}]} for k in range(1, n + 1)}
checks = [{"from": "n1", "ping": f"n{k}", "count": 1} for k in sorted({2, (n + 1) // 2, n})] + [{"from": f"n{n}", "ping": "n1", "count": 1}]
print(json.dumps({"name": "star-bench", "buses": {"lan0": {"kind": "shmif"}}, "nodes": nodes, "checks": checks}))
PY
}

linux_star() {  # same star: n namespaces with veth pairs on a bridge; same pings
  local n=$1 b=$work/batch
  : > "$b"
  echo "link add lb-br0 type bridge" >> "$b"
  echo "link set lb-br0 up" >> "$b"
  for k in $(seq 1 "$n"); do
    echo "netns add lb-$k" >> "$b"
    echo "link add lb-v$k type veth peer name eth0 netns lb-$k" >> "$b"
    echo "link set lb-v$k master lb-br0" >> "$b"
    echo "link set lb-v$k up" >> "$b"
    # ip -batch has no per-line namespace: one `ip -b` inside each namespace sets it up.
    printf 'addr add 10.2.%d.%d/16 dev eth0\nlink set eth0 up\n' $((k / 250)) $((k % 250 + 1)) > "$work/ns-$k"
    echo "netns exec lb-$k ip -b $work/ns-$k" >> "$b"
  done
  local t0; t0=$(now)
  ip -batch "$b"
  local mid=$(( (n + 1) / 2 ))
  for k in $(printf '%s\n' 2 "$mid" "$n" | sort -un); do
    ip netns exec lb-1 ping -c 1 -W 2 "10.2.$((k / 250)).$((k % 250 + 1))" >/dev/null
  done
  ip netns exec "lb-$n" ping -c 1 -W 2 10.2.0.2 >/dev/null
  local t1; t1=$(now)
  : > "$b"
  for k in $(seq 1 "$n"); do echo "netns del lb-$k" >> "$b"; done
  echo "link del lb-br0" >> "$b"
  ip -batch "$b"
  local t2; t2=$(now)
  echo "$(awk "BEGIN{print $t1-$t0}") $(awk "BEGIN{print $t2-$t1}")"
}

printf '%-34s %12s %12s %8s\n' "figure (median of $RUNS)" "rumpnet-lab" "ip netns" "ratio"
for n in $SIZES; do
  star "$n" > "$work/star.json"
  ups=(); downs=(); rss=(); lups=(); ldowns=()
  for _ in $(seq 1 "$RUNS"); do
    t0=$(now)
    "$BIN/rumpnet-lab" up "$work/star.json" >/dev/null 2>"$work/up.err" || { cat "$work/up.err" >&2; exit 1; }
    t1=$(now)
    kb=0
    for p in "$RUMPNET_LAB_STATE"/star-bench/nodes/*.pid; do
      kb=$((kb + $(awk '/VmRSS/{print $2}' "/proc/$(cat "$p")/status")))
    done
    t2=$(now)
    "$BIN/rumpnet-lab" down star-bench >/dev/null
    t3=$(now)
    ups+=("$(awk "BEGIN{print $t1-$t0}")"); downs+=("$(awk "BEGIN{print $t3-$t2}")"); rss+=("$(awk "BEGIN{print $kb/$n/1024}")")
    read -r lu ld < <(linux_star "$n")
    lups+=("$lu"); ldowns+=("$ld")
  done
  up=$(printf '%s\n' "${ups[@]}" | median); down=$(printf '%s\n' "${downs[@]}" | median)
  lup=$(printf '%s\n' "${lups[@]}" | median); ldown=$(printf '%s\n' "${ldowns[@]}" | median)
  r=$(printf '%s\n' "${rss[@]}" | median)
  printf '%-34s %10.2f s %10.2f s %8.1f\n' "star-$n up to checks passed" "$up" "$lup" "$(awk "BEGIN{print $up/$lup}")"
  printf '%-34s %10.2f s %10.2f s %8.1f\n' "star-$n down" "$down" "$ldown" "$(awk "BEGIN{print $down/$ldown}")"
  printf '%-34s %9.1f MB %12s %8s\n' "star-$n RSS per node" "$r" "-" "-"
done
