#!/usr/bin/env python3
"""Where one client's operation spends its time, seen from the testbed's switch.

Capture in the switch namespace while one closed-loop client runs against a VR cluster,
e.g. `ip netns exec <prefix>-tb-sw tcpdump -i any -nn -w sw.pcap udp` for a few seconds,
then: `python3 ci/tools/one-client-timeline.py sw.pcap --leader 10.220.0.10 --client 10.220.0.13`.

Per operation it finds the request entering the switch, the leader's first Prepare, the
first acknowledgement back toward the leader, the reply, and the client's next request,
and prints percentiles of each gap. A frame crosses several switch interfaces; the first
sighting is when it entered the switch and the last when it left.
"""
import argparse
import subprocess
import sys

SEGMENTS = ["request in -> Prepare in (leader)", "Prepare in -> first ACK out (network + follower)",
            "ACK out -> reply in (leader)", "reply out -> next request in (client)", "request in -> reply out (cluster)"]


def frames(pcap, leader, client):
    """(kind, first, last) per frame journey through the switch, in capture order."""
    out = subprocess.run(["tcpdump", "-nn", "-tt", "-r", pcap, "udp"], capture_output=True, text=True, check=True).stdout
    journeys = []
    for line in out.splitlines():
        f = line.split()
        try:
            i = f.index("IP")
            t, src, dst, length = float(f[0]), f[i + 1].rsplit(".", 1)[0], f[i + 3].rstrip(":").rsplit(".", 1)[0], int(f[-1])
        except (ValueError, IndexError):
            continue
        if src == client and dst == leader:
            kind = "request"
        elif src == leader and dst == client:
            kind = "reply"
        elif dst == leader:
            kind = "ack"
        elif src == leader and length > 100:
            kind = "prepare"  # a COMMIT body is a few bytes; a Prepare carries the request
        else:
            continue
        key = (kind, src, dst)
        if journeys and journeys[-1][0] == key and t - journeys[-1][2] < 0.0002:
            journeys[-1][2] = t
        else:
            journeys.append([key, t, t])
    return [(k[0], first, last) for k, first, last in journeys]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("pcap")
    p.add_argument("--leader", required=True)
    p.add_argument("--client", required=True)
    a = p.parse_args()
    gaps = {s: [] for s in SEGMENTS}
    op = None
    for kind, first, last in frames(a.pcap, a.leader, a.client):
        if kind == "request":
            if op and "reply" in op:
                gaps[SEGMENTS[3]].append(first - op["reply"])
            op = {"request": first}
        elif op is None:
            continue
        elif kind == "prepare" and "prepare" not in op:
            op["prepare"] = first
            gaps[SEGMENTS[0]].append(first - op["request"])
        elif kind == "ack" and "prepare" in op and "ack" not in op:
            op["ack"] = last
            gaps[SEGMENTS[1]].append(last - op["prepare"])
        elif kind == "reply" and "ack" in op and "reply" not in op:
            op["reply"] = last
            gaps[SEGMENTS[2]].append(first - op["ack"])
            gaps[SEGMENTS[4]].append(last - op["request"])
    if not gaps[SEGMENTS[4]]:
        sys.exit("no complete operation between %s and %s in %s" % (a.client, a.leader, a.pcap))
    for s in SEGMENTS:
        v = sorted(gaps[s])
        n = len(v)
        print("%-50s n=%6d  p50 %7.1f  p90 %7.1f  p99 %8.1f us" % (s, n, v[n // 2] * 1e6, v[int(n * .9)] * 1e6, v[int(n * .99)] * 1e6))


if __name__ == "__main__":
    main()
