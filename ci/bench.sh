#!/usr/bin/env bash
# The benchmark suite: plain VR, each offload alone and all three, for several cluster sizes
# and client counts, with interleaved repetitions and the physical limit of the topology.
# Needs root. Arguments go to the suite, e.g. --replicas 3,5 --clients 1,16 --repetitions 3.
exec bash "$(dirname "$0")/run-testbed-main.sh" bench dev.electrode.testbed.bench.BenchmarkSuite "$@"
