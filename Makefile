# rumpnet-lab: the two commands of the README, and the benchmarks.
#   make lab    set up a fresh machine, build, run the main job
#   make test   set up a fresh machine, build, run the whole test suite
#   make bench  run every benchmark, each figure beside its baseline
SHELL := /bin/bash
APT_PACKAGES := libpcap-dev tcpdump iputils-ping iperf3
SWIFT ?= swift

.PHONY: setup build lab test bench clean

# Debian packages the build and the tests need (run as root on a fresh machine).
setup:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

build: setup
	$(SWIFT) build

lab: build
	.build/debug/rumpnet-lab demo --output lab-output
	tcpdump -n -e -r lab-output/demo.pcap

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: setup
	$(SWIFT) build -c release
	.build/release/shmifctl bench
	.build/release/rumpnet-bench

clean:
	rm -rf .build lab-output
