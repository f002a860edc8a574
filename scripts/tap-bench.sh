#!/usr/bin/env bash
# A lab node on a Linux tap (rumpnet_virtif) against Linux itself: ping RTT Linux -> node and
# node -> Linux over the tap, beside Linux's ping between two namespaces joined by a veth pair,
# in the same run; and frames/s a node takes in through the tap (a UDP blast from the Linux
# side, counted by the node's interface counters) beside the frames/s the same blast delivers
# over the veth pair; TCP throughput Linux -> node over the tap (our ttcp) beside iperf3 over
# the veth; frames/s through a tap-bridge (host tap -> shmif bus -> node of a host-tap lab).
# Medians of 3 runs for frames/s. Needs root (ip netns, /dev/net/tun).
set -euo pipefail
COUNT=${COUNT:-1000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-1}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
work=$(mktemp -d /tmp/tap-bench.XXXXXX)
nsl=tb-lin-$$; ns1=tb-a-$$; ns2=tb-b-$$; tap=tb-tap-$$
lab=tapbench$$
cleanup() {
  [ -f "$work/tb.json" ] && "$BIN/rumpnet-lab" down "$lab" >/dev/null 2>&1 || true
  [ -S "$work/node.sock" ] && RUMP_SERVER=unix://$work/node.sock "$BIN/halt" 2>/dev/null || true
  for n in "$nsl" "$ns1" "$ns2"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/bench-common.sh"
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }

# A UDP blast of 64-byte datagrams for SECONDS_PER_RUN from inside namespace $1 to $2:9.
blast() {
  ip netns exec "$1" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
dst, end, data, n = (sys.argv[1], 9), time.monotonic() + float(sys.argv[2]), b"x" * 64, 0
while time.monotonic() < end:
    for _ in range(64):
        try: s.sendto(data, dst); n += 1
        except BlockingIOError: pass
print(n)' "$2" "$SECONDS_PER_RUN"
}

# The node: a rump_server whose virt0 is host tap $tap, moved into namespace $nsl.
"$BIN/rump_server" -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_virtif "unix://$work/node.sock"
export RUMP_SERVER=unix://$work/node.sock
"$BIN/ifconfig" virt0 create
"$BIN/ifconfig" virt0 linkstr "$tap"
ip netns add "$nsl"
ip link set "$tap" netns "$nsl"
ip -n "$nsl" addr add 10.97.0.2/24 dev "$tap"; ip -n "$nsl" link set "$tap" up
"$BIN/ifconfig" virt0 inet 10.97.0.1/24 up
ip netns exec "$nsl" ping -c 3 -q 10.97.0.1 >/dev/null   # warm up ARP
read -r lin2node50 lin2node99 < <(ip netns exec "$nsl" ping -c "$COUNT" -i 0.001 10.97.0.1 | percentiles)
read -r node2lin50 node2lin99 < <("$BIN/ping" -c "$COUNT" -i 0.001 10.97.0.2 | percentiles)

# TCP Linux -> node over the tap: our ttcp -r -s in the node, Linux's stack sending 256 MiB
# from a Python socket in the namespace (MB/s from ttcp's own "bytes in seconds" line).
"$BIN/ttcp" -r -s -p 5001 > "$work/ttcp.out" 2>&1 &
ttcp_pid=$!
sleep 0.5
ip netns exec "$nsl" python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 5001))
b = b"x" * 65536
for _ in range(4096): s.sendall(b)
s.close()' 10.97.0.1
wait "$ttcp_pid" || true
tcptap=$(awk '/bytes in .* real seconds/ {printf "%d", $2 / $5 / 1e6}' "$work/ttcp.out")

node_in() { "$BIN/ifconfig" -v virt0 | awk '/input:/ {print $2}'; }
tap_rates=(); offered=()
for _ in 1 2 3; do
  before=$(node_in); t0=$(date +%s.%N)
  sent=$(blast "$nsl" 10.97.0.1)
  sleep 0.05; after=$(node_in); t1=$(date +%s.%N)
  tap_rates+=("$(awk "BEGIN{printf \"%d\", ($after - $before) / ($t1 - $t0)}")")
  offered+=("$(awk "BEGIN{printf \"%d\", $sent / ($t1 - $t0)}")")
done

# Frames/s through a tap-bridge (the process that joins a shmif bus to a host tap): the host
# blasts node a of topologies/host-tap.json (own lab name, tap and subnet) from its own stack.
net=10.214.$(( $$ % 200 + 1 ))
sed -e "s/\"host-tap\"/\"$lab\"/" -e "s/rlhost0/tbh$$/" -e "s/10\.213\.0\./$net./g" \
  "$(dirname "$0")/../topologies/host-tap.json" > "$work/tb.json"
"$BIN/rumpnet-lab" up "$work/tb.json" >/dev/null
bridged_in() { "$BIN/rumpnet-lab" exec --lab "$lab" a -- ifconfig -v shmif0 | awk '/input:/ {print $2}'; }
bridge_rates=()
for _ in 1 2 3; do
  before=$(bridged_in); t0=$(date +%s.%N)
  python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
dst, end, data = (sys.argv[1], 9), time.monotonic() + float(sys.argv[2]), b"x" * 64
while time.monotonic() < end:
    for _ in range(64):
        try: s.sendto(data, dst)
        except BlockingIOError: pass' "$net.1" "$SECONDS_PER_RUN"
  sleep 0.05; after=$(bridged_in); t1=$(date +%s.%N)
  bridge_rates+=("$(awk "BEGIN{printf \"%d\", ($after - $before) / ($t1 - $t0)}")")
done
"$BIN/rumpnet-lab" down "$lab" >/dev/null
bridgefps=$(median3 "${bridge_rates[@]}")

# Linux: two namespaces and a veth pair.
ip netns add "$ns1"; ip netns add "$ns2"
ip link add tb-veth-a netns "$ns1" type veth peer name tb-veth-b netns "$ns2"
ip -n "$ns1" addr add 10.96.0.1/24 dev tb-veth-a; ip -n "$ns1" link set tb-veth-a up
ip -n "$ns2" addr add 10.96.0.2/24 dev tb-veth-b; ip -n "$ns2" link set tb-veth-b up
ip netns exec "$ns1" ping -c 3 -q 10.96.0.2 >/dev/null
read -r veth50 veth99 < <(ip netns exec "$ns1" ping -c "$COUNT" -i 0.001 10.96.0.2 | percentiles)
# TCP over the veth: iperf3 (Linux to Linux), 2 s.
ip netns exec "$ns2" iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
iperf_pid=$!
sleep 0.5
tcpveth=$(ip netns exec "$ns1" iperf3 -c 10.96.0.2 -p 5299 -t 2 -J | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 8e6))')
wait "$iperf_pid" || true
veth_rates=()
for _ in 1 2 3; do
  before=$(ip netns exec "$ns2" cat /sys/class/net/tb-veth-b/statistics/rx_packets)
  t0=$(date +%s.%N)
  blast "$ns1" 10.96.0.2 >/dev/null
  sleep 0.05; t1=$(date +%s.%N)
  after=$(ip netns exec "$ns2" cat /sys/class/net/tb-veth-b/statistics/rx_packets)
  veth_rates+=("$(awk "BEGIN{printf \"%d\", ($after - $before) / ($t1 - $t0)}")")
done
tapfps=$(median3 "${tap_rates[@]}"); vethfps=$(median3 "${veth_rates[@]}"); offeredfps=$(median3 "${offered[@]}")

ratio() { awk "BEGIN{printf \"%.1f\", $1/$2}"; }
echo "figure  value  baseline  ratio"
echo "ping RTT p50, Linux -> node over a tap ($COUNT pings, 1 ms apart)  $lin2node50 us  $veth50 us (Linux veth)  $(ratio "$lin2node50" "$veth50")"
echo "ping RTT p99, Linux -> node over a tap  $lin2node99 us  $veth99 us (Linux veth)  $(ratio "$lin2node99" "$veth99")"
echo "ping RTT p50, node -> Linux over a tap (our ping)  $node2lin50 us  $veth50 us (Linux veth)  $(ratio "$node2lin50" "$veth50")"
echo "ping RTT p99, node -> Linux over a tap (our ping)  $node2lin99 us  $veth99 us (Linux veth)  $(ratio "$node2lin99" "$veth99")"
echo "frames/s into a node through its tap (64-byte UDP blast, median of 3)  $tapfps  $vethfps (same blast over Linux veth)  $(awk "BEGIN{printf \"%.2f\", $tapfps/$vethfps}")"
echo "TCP throughput Linux -> node over a tap (256 MiB, our ttcp -r)  $tcptap MB/s  $tcpveth MB/s (Linux veth, iperf3)  $(awk "BEGIN{printf \"%.2f\", $tcptap/$tcpveth}")"
echo "frames/s through a tap-bridge (host tap -> shmif bus -> node, 64-byte UDP, median of 3)  $bridgefps  $vethfps (same blast over Linux veth)  $(awk "BEGIN{printf \"%.2f\", $bridgefps/$vethfps}")"
# The blast is one Python sender: when both figures equal what it offers, the node kept up.
echo "frames/s the blast offered (one Python sender)  $offeredfps  $vethfps (taken over Linux veth)  $(awk "BEGIN{printf \"%.2f\", $offeredfps/$vethfps}")"
