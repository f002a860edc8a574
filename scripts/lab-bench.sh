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

. "$(dirname "$0")/bench-common.sh"   # star, linux_star

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
