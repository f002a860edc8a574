#!/usr/bin/env bash
# Packed labs (rump_host) against a process per node, beside Linux in the same run:
# - stars of N nodes on one bus (SIZES), placement packed and process: `rumpnet-lab up` to all
#   checks passed, `down`, and PSS per node (/proc/PID/smaps_rollup of every distinct kernel
#   process, over N), beside ip netns + veth + bridge building and pinging the same star;
# - ping RTT p50/p99 between two kernels of one rump_host (one loop, then two loops) and between
#   two rump_servers, beside Linux's ping over a veth pair.
# Process placement above PROCESS_MAX nodes is skipped (a thousand processes take a while on a
# small VM; say PROCESS_MAX=1000 to run it). RUNS runs each, medians. Root only (ip netns).
set -euo pipefail
SIZES=${SIZES-"200 1000"}   # SIZES="" runs only the ping figures
RUNS=${RUNS:-1}
COUNT=${COUNT:-1000}
PROCESS_MAX=${PROCESS_MAX:-200}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
# State and buses on tmpfs when there is one: socket and bus files on a disk file system cost
# more to create than the kernels themselves (ext4 scans for recently deleted inodes).
work=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )/host-bench.XXXXXX")
export RUMPNET_LAB_STATE=$work/state
ns1=hb-a-$$; ns2=hb-b-$$
cleanup() {
  "$BIN/rumpnet-lab" down star-bench >/dev/null 2>&1 || true
  for s in "$work"/*.sock; do [ -S "$s" ] && RUMP_SERVER=unix://$s "$BIN/halt" 2>/dev/null || true; done
  for ns in $(ip netns list 2>/dev/null | awk '/^lb-/{print $1}'); do ip netns del "$ns" 2>/dev/null || true; done
  ip link del lb-br0 2>/dev/null || true
  ip netns del "$ns1" 2>/dev/null || true
  ip netns del "$ns2" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/bench-common.sh"

now() { date +%s.%N; }
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

pss_per_node() {  # distinct kernel processes of the lab, their PSS summed, over N nodes (MB)
  local n=$1 kb=0
  for p in $(cat "$RUMPNET_LAB_STATE"/star-bench/nodes/*.pid | sort -u); do
    kb=$((kb + $(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup")))
  done
  awk "BEGIN{print $kb/$n/1024}"
}

lab_run() {  # placement n -> "up down pss"
  local placement=$1 n=$2 t0 t1 t2 t3 pss
  t0=$(now)
  "$BIN/rumpnet-lab" up --placement "$placement" "$work/star.json" >/dev/null 2>"$work/up.err" || { cat "$work/up.err" >&2; exit 1; }
  t1=$(now)
  pss=$(pss_per_node "$n")
  t2=$(now)
  "$BIN/rumpnet-lab" down star-bench >/dev/null
  t3=$(now)
  echo "$(awk "BEGIN{print $t1-$t0}") $(awk "BEGIN{print $t3-$t2}") $pss"
}

printf '%-44s %12s %12s %8s\n' "figure (median of $RUNS)" "rumpnet-lab" "ip netns" "ratio"
for n in $SIZES; do
  star "$n" > "$work/star.json"
  lups=(); ldowns=()
  for _ in $(seq 1 "$RUNS"); do read -r lu ld < <(linux_star "$n"); lups+=("$lu"); ldowns+=("$ld"); done
  lup=$(printf '%s\n' "${lups[@]}" | median); ldown=$(printf '%s\n' "${ldowns[@]}" | median)
  for placement in packed process; do
    if [ "$placement" = process ] && [ "$n" -gt "$PROCESS_MAX" ]; then
      printf '%-44s %12s %10.2f s %8s\n' "star-$n up, process (skipped: PROCESS_MAX)" "-" "$lup" "-"
      continue
    fi
    ups=(); downs=(); psss=()
    for _ in $(seq 1 "$RUNS"); do
      read -r u d p < <(lab_run "$placement" "$n")
      ups+=("$u"); downs+=("$d"); psss+=("$p")
    done
    up=$(printf '%s\n' "${ups[@]}" | median); down=$(printf '%s\n' "${downs[@]}" | median)
    pss=$(printf '%s\n' "${psss[@]}" | median)
    printf '%-44s %10.2f s %10.2f s %8.1f\n' "star-$n up to checks passed, $placement" "$up" "$lup" "$(awk "BEGIN{print $up/$lup}")"
    printf '%-44s %10.2f s %10.2f s %8.1f\n' "star-$n down, $placement" "$down" "$ldown" "$(awk "BEGIN{print $down/$ldown}")"
    printf '%-44s %9.2f MB %12s %8s\n' "star-$n PSS per node, $placement" "$pss" "-" "-"
  done
done

# Ping: two kernels of one rump_host (same loop: -t 1; two loops: -t 2), two rump_servers.
ping_pair() {  # prefix; RUMP_SERVERs in $work/<prefix>a.sock and b.sock are up
  local p=$1 i=1
  for k in a b; do
    export RUMP_SERVER=unix://$work/${p}$k.sock
    "$BIN/ifconfig" shmif0 create
    "$BIN/ifconfig" shmif0 linkstr "$work/${p}bus"
    "$BIN/ifconfig" shmif0 inet 10.99.0.$i/24
    i=$((i + 1))
  done
  export RUMP_SERVER=unix://$work/${p}a.sock
  "$BIN/ping" -c 3 -q 10.99.0.2 >/dev/null
  "$BIN/ping" -c "$COUNT" -i 0.001 10.99.0.2 | percentiles
  for k in a b; do RUMP_SERVER=unix://$work/${p}$k.sock "$BIN/halt" >/dev/null 2>&1 || true; done
}
K="-lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif"
printf '%s unix://%s\n' "$K" "$work/ha.sock" "$K" "$work/hb.sock" > "$work/h.kernels"
"$BIN/rump_host" -t 1 "$work/h.kernels" >/dev/null 2>&1
read -r one50 one99 < <(ping_pair h)
printf '%s unix://%s\n' "$K" "$work/ta.sock" "$K" "$work/tb.sock" > "$work/t.kernels"
"$BIN/rump_host" -t 2 "$work/t.kernels" >/dev/null 2>&1
read -r two50 two99 < <(ping_pair t)
for k in a b; do "$BIN/rump_server" $K "unix://$work/s$k.sock" >/dev/null 2>&1; done
read -r sep50 sep99 < <(ping_pair s)

ip netns add "$ns1"; ip netns add "$ns2"
ip link add hb-veth-a netns "$ns1" type veth peer name hb-veth-b netns "$ns2"
ip -n "$ns1" addr add 10.98.0.1/24 dev hb-veth-a; ip -n "$ns1" link set hb-veth-a up
ip -n "$ns2" addr add 10.98.0.2/24 dev hb-veth-b; ip -n "$ns2" link set hb-veth-b up
ip netns exec "$ns1" ping -c 3 -q 10.98.0.2 >/dev/null
read -r lin50 lin99 < <(ip netns exec "$ns1" ping -c "$COUNT" -i 0.001 10.98.0.2 | percentiles)

r() { awk "BEGIN{printf \"%.1f\", $1/$2}"; }
printf '%-44s %9s us %9s us %8s\n' "ping p50, co-hosted kernels, one loop" "$one50" "$lin50" "$(r "$one50" "$lin50")"
printf '%-44s %9s us %9s us %8s\n' "ping p99, co-hosted kernels, one loop" "$one99" "$lin99" "$(r "$one99" "$lin99")"
printf '%-44s %9s us %9s us %8s\n' "ping p50, co-hosted kernels, two loops" "$two50" "$lin50" "$(r "$two50" "$lin50")"
printf '%-44s %9s us %9s us %8s\n' "ping p99, co-hosted kernels, two loops" "$two99" "$lin99" "$(r "$two99" "$lin99")"
printf '%-44s %9s us %9s us %8s\n' "ping p50, two rump_servers" "$sep50" "$lin50" "$(r "$sep50" "$lin50")"
printf '%-44s %9s us %9s us %8s\n' "ping p99, two rump_servers" "$sep99" "$lin99" "$(r "$sep99" "$lin99")"
