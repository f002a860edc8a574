#!/usr/bin/env bash
# Ping RTT between two kernel servers over a shmif bus, measured by our ping (-c N, 1 ms
# apart), beside Linux's ping between two network namespaces joined by a veth pair, in the
# same run. Prints p50 and p99 of the per-reply times and the ratio. Needs root (ip netns).
set -euo pipefail
COUNT=${COUNT:-1000}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
work=$(mktemp -d /tmp/ping-bench.XXXXXX)
ns1=pb-a-$$; ns2=pb-b-$$
cleanup() {
  for s in "$work"/*.sock; do [ -S "$s" ] && RUMP_SERVER=unix://$s "$BIN/halt" 2>/dev/null || true; done
  ip netns del "$ns1" 2>/dev/null || true
  ip netns del "$ns2" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/bench-common.sh"

# Ours: two rump_servers on one bus.
for n in a b; do "$BIN/rump_server" -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_shmif "unix://$work/$n.sock"; done
i=1
for n in a b; do
  export RUMP_SERVER=unix://$work/$n.sock
  "$BIN/ifconfig" shmif0 create
  "$BIN/ifconfig" shmif0 linkstr "$work/bus"
  "$BIN/ifconfig" shmif0 inet 10.99.0.$i/24
  i=$((i + 1))
done
export RUMP_SERVER=unix://$work/a.sock
"$BIN/ping" -c 3 -q 10.99.0.2 >/dev/null     # warm up ARP
read -r our50 our99 < <("$BIN/ping" -c "$COUNT" -i 0.001 10.99.0.2 | percentiles)
# The same with both kernels and ping on one CPU: every wakeup then stays on that CPU
# (about 2 us) instead of waking the VM's idle vCPU (25-45 us here).
for n in a b; do
  for pid in $(pgrep -f "rump_server.*$work/$n.sock"); do taskset -pc 0 "$pid" >/dev/null; done
done
read -r pin50 pin99 < <(taskset -c 0 "$BIN/ping" -c "$COUNT" -i 0.001 10.99.0.2 | percentiles)
# Unpinned again, with every CPU kept from halting (`rumpnet-lab up --keep-cpus-awake`).
for n in a b; do
  for pid in $(pgrep -f "rump_server.*$work/$n.sock"); do taskset -pc 0-$(($(nproc) - 1)) "$pid" >/dev/null; done
done
awake=()
for c in $(seq 0 $(($(nproc) - 1))); do "$BIN/rumpnet-lab" keep-awake --cpu "$c" & awake+=($!); done
sleep 0.2
read -r awk50 awk99 < <("$BIN/ping" -c "$COUNT" -i 0.001 10.99.0.2 | percentiles)
kill "${awake[@]}"; wait "${awake[@]}" 2>/dev/null || true

# Linux: two namespaces and a veth pair.
ip netns add "$ns1"; ip netns add "$ns2"
ip link add pb-veth-a netns "$ns1" type veth peer name pb-veth-b netns "$ns2"
ip -n "$ns1" addr add 10.98.0.1/24 dev pb-veth-a; ip -n "$ns1" link set pb-veth-a up
ip -n "$ns2" addr add 10.98.0.2/24 dev pb-veth-b; ip -n "$ns2" link set pb-veth-b up
ip netns exec "$ns1" ping -c 3 -q 10.98.0.2 >/dev/null
read -r lin50 lin99 < <(ip netns exec "$ns1" ping -c "$COUNT" -i 0.001 10.98.0.2 | percentiles)

printf '%-40s %12s %12s %8s\n' "ping RTT, $COUNT pings 1 ms apart" "rumpnet-lab" "linux veth" "ratio"
printf '%-40s %9s us %9s us %8s\n' "p50" "$our50" "$lin50" "$(awk "BEGIN{printf \"%.1f\", $our50/$lin50}")"
printf '%-40s %9s us %9s us %8s\n' "p99" "$our99" "$lin99" "$(awk "BEGIN{printf \"%.1f\", $our99/$lin99}")"
printf '%-40s %9s us %9s us %8s\n' "p50, CPUs kept awake (--keep-cpus-awake)" "$awk50" "$lin50" "$(awk "BEGIN{printf \"%.1f\", $awk50/$lin50}")"
printf '%-40s %9s us %9s us %8s\n' "p99, CPUs kept awake (--keep-cpus-awake)" "$awk99" "$lin99" "$(awk "BEGIN{printf \"%.1f\", $awk99/$lin99}")"
printf '%-40s %9s us %9s us %8s\n' "p50, kernels and ping on one CPU" "$pin50" "$lin50" "$(awk "BEGIN{printf \"%.1f\", $pin50/$lin50}")"
printf '%-40s %9s us %9s us %8s\n' "p99, kernels and ping on one CPU" "$pin99" "$lin99" "$(awk "BEGIN{printf \"%.1f\", $pin99/$lin99}")"
