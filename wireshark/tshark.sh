#!/usr/bin/env bash
# tshark with the project's dissector (electrode.lua) and its .proto files, so protobuf bodies
# decode field by field. Arguments go to tshark, e.g.:
#   bash wireshark/tshark.sh -r capture.pcap
#   bash wireshark/tshark.sh -r capture.pcap -V -Y 'electrode.type contains "Prepare"'
# The same options work for the wireshark GUI (see "Wireshark" in README.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
protos=$(cd "$here/../replica/src/main/proto" && pwd)
command -v tshark >/dev/null || { echo "tshark not found: apt-get install tshark (or bash ci/setup-host.sh)" >&2; exit 127; }
exec tshark -X "lua_script:$here/electrode.lua" \
  -o "uat:protobuf_search_paths:\"$protos\",\"TRUE\"" -o protobuf.preload_protos:TRUE -o protobuf.pbf_as_hf:TRUE "$@"
