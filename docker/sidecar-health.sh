#!/bin/sh
# A sidecar's health check: it holds an established TCP connection to the host's sidecar
# port (the port of STEPHOST_CONNECT). The sidecar keeps exactly one gRPC stream open to the
# host, so a sidecar that lost its host (or never reached it) is unhealthy until it redials.
# Needs only sh and grep, so every sidecar image can carry it; reads this network namespace's
# connection table, which in a container holds the sidecar's own connections only.
set -eu
port=$(printf '%04X' "${STEPHOST_CONNECT##*:}")
# /proc/net/tcp lines: "sl local_address rem_address st ..."; state 01 is ESTABLISHED.
grep -qE "^ *[0-9]+: [0-9A-F]+:[0-9A-F]{4} [0-9A-F]+:${port} 01 " /proc/net/tcp /proc/net/tcp6 2>/dev/null
