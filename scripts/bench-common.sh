# Shared by the shell benchmarks (sourced): percentiles of ping's per-reply times.

percentiles() {  # reads "time=X ms" lines, prints "p50 p99" in microseconds
  grep -o 'time=[0-9.]*' | cut -d= -f2 | sort -g | awk '{v[NR]=$1} END {
    if (NR == 0) { print "nan nan"; exit }
    i50 = int((NR - 1) * 0.50) + 1; i99 = int((NR - 1) * 0.99) + 1
    printf "%.1f %.1f\n", v[i50] * 1000, v[i99] * 1000 }'
}

# The lab benchmarks' star (sourced after $work is set): N nodes on one shmif bus, and the same
# star from Linux namespaces, veth pairs and a bridge.
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
