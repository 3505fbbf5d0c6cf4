#!/usr/bin/env python3
"""Writes traffic.pcap: ten hand-made Ethernet frames, one per case the XDP filter and the
tc counter treat differently (classic pcap, microsecond timestamps, LINKTYPE_ETHERNET).
Run it again to regenerate the committed file: python3 make_pcap.py"""
import struct

A = bytes.fromhex("020000000001")  # the host
B = bytes.fromhex("020000000002")  # a peer


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(proto, payload, src=B, dst=A):
    return dst + src + struct.pack("!H", proto) + payload


def ipv4(proto, l4, ttl=64, options=b"", src="10.0.0.2", dst="10.0.0.1"):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 4 * ihl + len(l4), 1, 0, ttl, proto, 0,
                      bytes(map(int, src.split("."))), bytes(map(int, dst.split(".")))) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def udp(sport, dport, payload=b""):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, flags=0x02):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags, 65535, 0, 0)


def icmp(type_, payload=b"ping"):
    h = struct.pack("!BBHHH", type_, 0, 0, 7, 1) + payload
    return h[:2] + struct.pack("!H", csum(h)) + h[4:]


frames = [
    eth(0x0800, ipv4(17, udp(5353, 53, b"dns?"))),                 # UDP to 53: pass
    eth(0x0800, ipv4(6, tcp(40000, 22))),                           # TCP to 22 (blocked): drop
    eth(0x0800, ipv4(6, tcp(40001, 80))),                           # TCP to 80: pass
    eth(0x0800, ipv4(1, icmp(8))),                                  # echo request: tx
    eth(0x0800, ipv4(1, icmp(0))),                                  # echo reply: pass
    eth(0x0806, bytes(28)),                                         # ARP: pass
    eth(0x0800, ipv4(17, udp(1234, 9999, b"x" * 20), ttl=1)),       # UDP to 9999 (blocked): drop
    eth(0x0800, ipv4(17, udp(1, 2))[:10]),                          # IPv4 cut short: drop
    eth(0x86DD, bytes(40)),                                         # IPv6: pass
    eth(0x0800, ipv4(17, udp(7, 7), options=b"\x01\x01\x01\x00")),  # IPv4 options: drop
]

with open("traffic.pcap", "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
        f.write(fr)
