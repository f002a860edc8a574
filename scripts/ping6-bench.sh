#!/usr/bin/env bash
# ping6 RTT beside ping RTT, in the same run, between the same two kernel servers on one shmif
# bus (both with netinet and netinet6), each utility sending COUNT echoes 10 ms apart (ping6's
# smallest interval, NetBSD's 1/hz floor) after a warm-up that resolves ARP and ND. Prints p50
# and p99 of the per-reply times and the ratio ping6 / ping.
set -euo pipefail
COUNT=${COUNT:-500}
BIN=${BIN:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
work=$(mktemp -d /tmp/ping6-bench.XXXXXX)
cleanup() {
  for s in "$work"/*.sock; do [ -S "$s" ] && RUMP_SERVER=unix://$s "$BIN/halt" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

. "$(dirname "$0")/bench-common.sh"

for n in a b; do
  "$BIN/rump_server" -lrumpnet -lrumpnet_net -lrumpnet_netinet -lrumpnet_netinet6 -lrumpnet_shmif "unix://$work/$n.sock"
done
i=1
for n in a b; do
  export RUMP_SERVER=unix://$work/$n.sock
  "$BIN/ifconfig" shmif0 create
  "$BIN/ifconfig" shmif0 linkstr "$work/bus"
  "$BIN/ifconfig" shmif0 inet 10.97.0.$i/24
  "$BIN/ifconfig" shmif0 inet6 fd97::$i/64
  "$BIN/ifconfig" -w 10
  i=$((i + 1))
done
export RUMP_SERVER=unix://$work/a.sock
"$BIN/ping" -c 3 -q 10.97.0.2 >/dev/null
"$BIN/ping6" -c 3 -q fd97::2 >/dev/null
read -r v4p50 v4p99 < <("$BIN/ping" -c "$COUNT" -i 0.01 10.97.0.2 | percentiles)
read -r v6p50 v6p99 < <("$BIN/ping6" -c "$COUNT" -i 0.01 fd97::2 | percentiles)

printf '%-40s %12s %12s %8s\n' "ping6 RTT, $COUNT echoes 10 ms apart" "ping6" "ping (IPv4)" "ratio"
printf '%-40s %9s us %9s us %8s\n' "p50" "$v6p50" "$v4p50" "$(awk "BEGIN{printf \"%.2f\", $v6p50/$v4p50}")"
printf '%-40s %9s us %9s us %8s\n' "p99" "$v6p99" "$v4p99" "$(awk "BEGIN{printf \"%.2f\", $v6p99/$v4p99}")"
