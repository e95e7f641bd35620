#!/usr/bin/env bash
# Times `netspec check` and `netspec run` (whole process) on generated graphs of growing size,
# to show that building and running a graph grows linearly with its nodes and edges:
#
#   chain N           x -> relu -> relu -> ... (N relu nodes, each takes the one before)
#   chain-reversed N  the same chain declared last node first (ordering must reorder it all)
#   fan-in N          N relu nodes of x, all summed by one `sum` node (one node with N inputs)
#   diamonds N        N/3 diamonds: a = relu(d), b = relu(d), d' = mul(a, b) (x is 0 or 1 after relu, so no value grows)
#
# Each spec has `backward` from its last node with an assumed gradient, so `run` does a
# forward and a backward pass. Prints one table row per spec: its nodes and the best wall time
# of REPEATS runs of each command, in seconds.
#
#   tools/bench/graph-size.sh                     # sizes 4000 20000 100000
#   SIZES="4000 20000" REPEATS=1 tools/bench/graph-size.sh
#   NETSPEC="./netspec" tools/bench/graph-size.sh # the native command instead of the dll
#
# Env: SIZES, REPEATS (3), SHAPES (chain chain-reversed fan-in diamonds), NETSPEC (the
# command; default: `dotnet` on the Release dll, built first), KEEP (1 keeps the specs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
SIZES="${SIZES:-4000 20000 100000}"
REPEATS="${REPEATS:-3}"
SHAPES="${SHAPES:-chain chain-reversed fan-in diamonds}"
PY="${PY:-/usr/bin/python3}"

if [[ -z "${NETSPEC:-}" ]]; then
  echo "graph-size: building the command (Release)..." >&2
  dotnet build -c Release src/NetSpec.Cli --nologo -v quiet >/dev/null || { echo "graph-size: build failed" >&2; exit 1; }
  NETSPEC="dotnet $root/src/NetSpec.Cli/bin/Release/net10.0/netspec.dll"
fi

dir="$(mktemp -d)"
[[ "${KEEP:-}" == 1 ]] && echo "graph-size: specs in $dir" >&2 || trap 'rm -rf "$dir"' EXIT

generate() { # generate SHAPE N FILE
  "$PY" - "$1" "$2" "$3" <<'PYEOF'
import sys
shape, n, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = []
last = None
if shape in ("chain", "chain-reversed"):
    nodes = [f"  r{i}: {{op: relu, x: {'x' if i == 1 else f'r{i-1}'}}}" for i in range(1, n + 1)]
    if shape == "chain-reversed": nodes.reverse()
    lines += nodes
    last = f"r{n}"
elif shape == "fan-in":
    lines += [f"  r{i}: {{op: relu, x: x}}" for i in range(1, n)]
    lines.append("  s: {op: sum, inputs: [" + ", ".join(f"r{i}" for i in range(1, n)) + "]}")
    last = "s"
elif shape == "diamonds":
    prev = "x"
    for k in range(1, n // 3 + 1):
        lines += [f"  a{k}: {{op: relu, x: {prev}}}", f"  b{k}: {{op: relu, x: {prev}}}", f"  d{k}: {{op: mul, a: a{k}, b: b{k}}}"]
        prev = f"d{k}"
    last = prev
else:
    sys.exit(f"unknown shape {shape}")
with open(path, "w") as f:
    f.write(f"netspec: 1\nname: {shape}-{n}\nnetwork:\n")
    f.write("\n".join(lines) + "\n")
    f.write("data:\n  x: [1, -2, 3, 0]\n")
    f.write(f"backward:\n  from: {last}\n  grad: [1, 1, 1, 1]\n")
PYEOF
}

best() { # best CMD...: the least wall time of REPEATS runs, in seconds (fails if CMD fails)
  local b="" t s e
  for ((k = 0; k < REPEATS; k++)); do
    s=$(date +%s.%N)
    "$@" >/dev/null 2>"$dir/stderr" || { echo "graph-size: failed: $* ($(head -c 300 "$dir/stderr"))" >&2; echo "fail"; return; }
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [[ -z "$b" ]] || (( $(echo "$t < $b" | bc) )); then b=$t; fi
  done
  printf '%.2f' "$b"
}

printf '%-16s %8s %10s %10s\n' "graph" "nodes" "check (s)" "run (s)"
for shape in $SHAPES; do
  for n in $SIZES; do
    f="$dir/$shape-$n.yaml"
    generate "$shape" "$n" "$f"
    nodes=$(grep -c '{op:' "$f")
    # shellcheck disable=SC2086
    c=$(best $NETSPEC check "$f")
    # shellcheck disable=SC2086
    r=$(best $NETSPEC run "$f")
    printf '%-16s %8s %10s %10s\n' "$shape" "$nodes" "$c" "$r"
  done
done
