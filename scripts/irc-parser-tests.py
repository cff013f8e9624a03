#!/usr/bin/env python3
"""Converts ircdocs/parser-tests' msg-split.yaml and msg-join.yaml to one JSON fixture.

Run once (needs PyYAML, Debian python3-yaml):
  python3 scripts/irc-parser-tests.py ../shared/irc/parser-tests > test/fixtures/irc-parser-tests.json
  npx biome format --write test/fixtures/irc-parser-tests.json

The vectors are CC0 (Daniel Oaks, 2015), some originating from grawity's tests (WTFPL v2), from
Mozilla's tests (public domain) and from Sadie's (free to include); the fixture keeps that notice.
"""
import json
import sys

import yaml

root = sys.argv[1] if len(sys.argv) > 1 else "../shared/irc/parser-tests"


def load(name):
    # BaseLoader: every scalar stays a string (a param "1" or "yes" must not become a number or a bool).
    with open(f"{root}/tests/{name}", encoding="utf-8") as f:
        return yaml.load(f, Loader=yaml.BaseLoader)["tests"]


def atoms(a):
    return {
        "tags": a.get("tags"),
        "source": a.get("source"),
        "verb": a["verb"],
        "params": a.get("params", []),
    }


split = [{"input": t["input"], "atoms": atoms(t["atoms"])} for t in load("msg-split.yaml")]
join = [
    {"desc": t.get("desc", ""), "atoms": atoms(t["atoms"]), "matches": t["matches"]}
    for t in load("msg-join.yaml")
]
json.dump(
    {
        "source": "https://github.com/ircdocs/parser-tests (tests/msg-split.yaml, tests/msg-join.yaml)",
        "license": (
            "CC0 1.0: written in 2015 by Daniel Oaks <daniel@danieloaks.net>, dedicated to the public domain. "
            "Some vectors originate from grawity's test vectors (WTFPL v2, https://github.com/grawity/code), "
            "from Mozilla's test vectors (public domain) and from Sadie's test vectors (included with her leave, "
            "https://github.com/SadieCat/ircparser-ruby)."
        ),
        "generatedBy": "scripts/irc-parser-tests.py",
        "split": split,
        "join": join,
    },
    sys.stdout,
    ensure_ascii=False,
    indent=1,
)
sys.stdout.write("\n")
