#!/bin/sh
# Runs ngIRCd (Debian package `ngircd`) in the foreground on 127.0.0.1:16667 with the benchmark
# configuration. Install: apt-get install -y ngircd
# Usage: sh bench/baselines/start-ngircd.sh   (Ctrl-C or SIGTERM stops it)
set -e
here=$(cd "$(dirname "$0")" && pwd)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec /usr/sbin/ngircd --nodaemon --config "$here/ngircd.conf" "$@"
