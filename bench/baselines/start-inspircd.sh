#!/bin/sh
# Runs InspIRCd 3 (Debian package `inspircd`) in the foreground on 127.0.0.1:16697 with the
# benchmark configuration. Install: apt-get install -y inspircd
# Usage: sh bench/baselines/start-inspircd.sh   (Ctrl-C or SIGTERM stops it)
# --runasroot because benchmark machines run everything as root; the bind is loopback only.
set -e
here=$(cd "$(dirname "$0")" && pwd)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
exec /usr/sbin/inspircd --nofork --nopid --runasroot --config="$here/inspircd.conf" "$@"
