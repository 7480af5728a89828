#!/usr/bin/env bash
# The project's main job: build (installing what is missing), create a replica cluster in
# network namespaces, run the same closed-loop workload with plain VR and with Electrode
# (all three offloads), and print the figures side by side. Needs root (namespaces, eBPF).
# Extra arguments go to the job, e.g. --replicas 5 --clients 16 --duration 10.
exec bash "$(dirname "$0")/run-testbed-main.sh" main-job dev.electrode.testbed.bench.MainJob "$@"
