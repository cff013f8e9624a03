#!/usr/bin/env bash
# Runs irctest (progval/irctest, the IRC servers' conformance suite) against a server this script
# starts, with the `external_server` controller and the selection ngIRCd is run with, and prints
# the passed / failed / skipped counts (issue 11: papo must pass at least as many as ngIRCd).
#
# Usage: bash bench/irctest.sh ngircd|papo [extra pytest arguments, e.g. -k Ping or -x]
#   IRCTEST_DIR   irctest checkout (default ../shared/irc/irctest, read-only: it is copied)
#   IRCTEST_KEEP  1 keeps the temporary folder (the copy, the server log, the junit XML)
#   IRCTEST_TEST_TIMEOUT  seconds one test may take (default 20): irctest waits for 001 forever when
#                 a registration fails, so a test that hangs is failed and the run goes on
#
# ngircd: ngIRCd (Debian `ngircd`) with bench/baselines/ngircd.conf on a free loopback port.
# papo:   `papo serve --irc-port PORT` from this checkout, every other listener on a free port.
# Needs python3 and pytest; irctest's optional modules (ecdsa, filelock, websockets) are not
# needed for this selection (the tests that use them are skipped or deselected).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
server=${1:-}
[ "$#" -gt 0 ] && shift
case "$server" in
  ngircd | papo) ;;
  *)
    echo "usage: bash bench/irctest.sh ngircd|papo [pytest args...]" >&2
    exit 2
    ;;
esac

src=${IRCTEST_DIR:-$root/../shared/irc/irctest}
[ -f "$src/conftest.py" ] || {
  echo "irctest not found in $src (set IRCTEST_DIR)" >&2
  exit 2
}
python3 -c "import pytest" 2>/dev/null || {
  echo "python3 -m pytest is not available (apt-get install python3-pytest)" >&2
  exit 2
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/papo-irctest.XXXXXX")
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ "${IRCTEST_KEEP:-0}" = 1 ]; then echo "kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
cp -r "$src" "$tmp/irctest"
# A per-test alarm (what pytest-timeout's signal method does; that plugin is not installed here).
cat >"$tmp/papo_timeout.py" <<'PY'
import os
import signal
import time

import pytest

LIMIT = int(os.environ.get("IRCTEST_TEST_TIMEOUT", "20"))


class TestTimeout(Exception):
    """Not TimeoutError: that is socket.timeout, which irctest's client catches and retries."""


def _expired(signum, frame):
    raise TestTimeout(f"test took over {LIMIT} s (papo_timeout)")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        # irctest's per-test teardown does not run when a setUp fails or skips; against one
        # long-running server, a client left connected would keep its nick and make the next tests
        # that use that nick wait for a 001 that never comes. Close whatever the test left open.
        clients = getattr(getattr(item, "instance", None), "clients", None) or {}
        for client in list(clients.values()):
            try:
                client.conn.close()
            except (AttributeError, OSError):
                pass
        if clients:
            time.sleep(0.05)
PY

# A free loopback port (the kernel picks one; a race with another process is unlikely).
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

case "$server" in
  ngircd)
    command -v /usr/sbin/ngircd >/dev/null || {
      echo "ngircd is not installed (apt-get install -y ngircd)" >&2
      exit 2
    }
    sed -e "s/^\(\s*Ports\s*=\).*/\1 $port/" -e "s#^\(\s*PidFile\s*=\).*#\1 $tmp/ngircd.pid#" \
      "$root/bench/baselines/ngircd.conf" >"$tmp/ngircd.conf"
    /usr/sbin/ngircd --nodaemon --config "$tmp/ngircd.conf" >"$tmp/server.log" 2>&1 &
    pid=$!
    ;;
  papo)
    (cd "$root" && exec node --import tsx src/cli.ts serve --host 127.0.0.1 --port 0 --no-http --no-store \
      --irc-port "$port") </dev/null >"$tmp/server.log" 2>&1 &
    pid=$!
    ;;
esac

# Wait (up to 10 s) for the listener.
for _ in $(seq 100); do
  if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2).close()" 2>/dev/null; then
    break
  fi
  kill -0 "$pid" 2>/dev/null || {
    echo "$server exited before listening:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  }
  sleep 0.1
done

echo "irctest against $server on 127.0.0.1:$port" >&2
set +e
(
  cd "$tmp/irctest" &&
    PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$tmp" IRCTEST_SERVER_HOSTNAME=127.0.0.1 IRCTEST_SERVER_PORT=$port \
      python3 -m pytest -p no:cacheprovider -p papo_timeout -q -rN --junitxml="$tmp/junit.xml" \
      --controller irctest.controllers.external_server \
      -m "not services and not implementation-specific and not deprecated and not strict" "$@"
) >"$tmp/pytest.log" 2>&1
status=$?
set -e
tail -n 1 "$tmp/pytest.log" >&2

# Counts from the junit XML: a test is failed (failure or error), skipped, or passed.
python3 - "$tmp/junit.xml" "$server" <<'EOF'
import sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    kinds = {child.tag for child in case}
    if kinds & {"failure", "error"}:
        failed += 1
    elif "skipped" in kinds:
        skipped += 1
    else:
        passed += 1
print(f"{sys.argv[2]}: passed {passed}, failed {failed}, skipped {skipped}")
EOF
# pytest exits 1 when some test failed: that is a result, not an error of this script.
[ "$status" -le 1 ] || {
  tail -n 30 "$tmp/pytest.log" >&2
  exit "$status"
}
