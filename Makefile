# rumpnet-lab: the two commands of the README, and the benchmarks.
#   make lab    set up a fresh machine, build, run the main job
#   make test   set up a fresh machine, build, run the whole test suite
#   make bench  run every benchmark, each figure beside its baseline
SHELL := /bin/bash
APT_PACKAGES := libpcap-dev tcpdump iputils-ping iperf3 iproute2 util-linux python3 python3-jsonschema
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

# The main job: the quickstart lab (two kernels on one bus), a ping across while the bus is
# captured, and the capture through tcpdump. The lab stays up for you to explore
# (`rumpnet-lab status`, `rumpnet-lab shell a`); `rumpnet-lab down` stops it.
LAB := .build/debug/rumpnet-lab
lab: build
	-@$(LAB) down quickstart >/dev/null 2>&1
	mkdir -p lab-output
	$(LAB) up topologies/quickstart.json
	$(LAB) capture lan0 --lab quickstart -w lab-output/quickstart.pcap -c 6 icmp & \
	  sleep 0.5; $(LAB) exec a -- ping -c 3 10.0.0.2; wait
	tcpdump -n -e -r lab-output/quickstart.pcap
	@echo "The lab is still up: rumpnet-lab status | rumpnet-lab shell a | rumpnet-lab down"
	@echo "Its capture is in lab-output/quickstart.pcap (open it with tcpdump -r or Wireshark)."

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Every benchmark, in one table: each figure beside its baseline measured in the same run
# (raw outputs in lab-output/bench/).
bench: setup
	$(SWIFT) build -c release
	python3 scripts/bench-all.py

clean:
	rm -rf .build lab-output
