#!/usr/bin/env bash
# A fault campaign against replica processes in namespaces (or, with --backend containers, in
# containers on a Docker network): random fault schedules, every history checked for
# linearizability, a failure bundle per failed run under target/testbed/chaos.
# Needs root. E.g.: bash ci/chaos.sh --minutes 30 --seed 7;  --help lists the options.
exec bash "$(dirname "$0")/run-testbed-main.sh" chaos dev.electrode.testbed.chaos.Campaign "$@"
