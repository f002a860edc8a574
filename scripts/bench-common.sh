# Shared by the shell benchmarks (sourced): percentiles of ping's per-reply times.

percentiles() {  # reads "time=X ms" lines, prints "p50 p99" in microseconds
  grep -o 'time=[0-9.]*' | cut -d= -f2 | sort -g | awk '{v[NR]=$1} END {
    if (NR == 0) { print "nan nan"; exit }
    i50 = int((NR - 1) * 0.50) + 1; i99 = int((NR - 1) * 0.99) + 1
    printf "%.1f %.1f\n", v[i50] * 1000, v[i99] * 1000 }'
}
