#!/bin/sh
# Builds release binaries and runs kernel-bench: idle rump_server RSS and start-to-listening,
# beside baselines (/bin/true, a Swift tool, /bin/sleep, an idle Swift process).
set -e
cd "$(dirname "$0")/.."
swift build -c release --product rump_server >/dev/null
swift build -c release --product rump_wmd >/dev/null
swift build -c release --product kernel-bench >/dev/null
exec .build/release/kernel-bench "$@"
