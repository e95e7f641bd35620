#!/usr/bin/python3
"""Cross-checks specs/golden/lab07.trace.jsonl against the independent numpy implementation
(../shared/bench/peers/lab07_numpy.py, or the path given by --peer): every forward value,
gradient and updated parameter the peer prints must equal the golden trace's value to 1e-12.
Exit 0 when all agree. Needs python3-numpy."""
import argparse, json, os, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser(description=__doc__)
ap.add_argument("--peer", default=os.path.join(here, "..", "..", "shared", "bench", "peers", "lab07_numpy.py"))
ap.add_argument("--golden", default=os.path.join(here, "..", "specs", "golden", "lab07.trace.jsonl"))
a = ap.parse_args()

peer = json.loads(subprocess.run([sys.executable, a.peer], check=True, capture_output=True, text=True).stdout)
events = [json.loads(l) for l in open(a.golden) if l.strip()]

def flat(v):
    return [x for r in v for x in r] if isinstance(v, list) and v and isinstance(v[0], list) else (v if isinstance(v, list) else [v])

def find(phase, name):
    hits = [e for e in events if e["phase"] == phase and e["name"] == name]
    if not hits:
        raise SystemExit(f"golden trace has no {phase} event for {name}")
    return hits[0]

checks = 0
errors = []
for key, value in peer.items():
    if key in ("z", "h", "o", "L", "S", "J"):
        got = find("forward", key)["values"]
    elif key.startswith("dJ_d"):
        got = find("backward", key[4:])["values"]
    elif key.endswith("_new"):
        got = find("update", key[:-4])["values"]
    else:
        continue
    want = flat(value)
    for i, (g, w) in enumerate(zip(got, want)):
        checks += 1
        if abs(g - w) > 1e-12 * max(1, abs(w)):
            errors.append(f"{key}[{i}]: golden {g!r}, numpy {w!r}")
    if len(got) != len(want):
        errors.append(f"{key}: golden has {len(got)} values, numpy {len(want)}")
print(json.dumps({"checked": checks, "errors": errors}))
sys.exit(1 if errors else 0)
