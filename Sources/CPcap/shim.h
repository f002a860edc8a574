#ifndef RUMPNET_CPCAP_SHIM_H
#define RUMPNET_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
