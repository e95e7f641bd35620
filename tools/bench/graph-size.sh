#!/usr/bin/env bash
# Times `netspec check` and `netspec run` (whole process) on generated graphs of growing size,
# to show that building and running a graph grows linearly with its nodes and edges:
#
#   chain N           x -> relu -> relu -> ... (N relu nodes, each takes the one before)
#   chain-reversed N  the same chain declared last node first (ordering must reorder it all)
#   fan-in N          N - 1 relu nodes of x, all summed by one `sum` node (one node with N - 1 inputs)
#   diamonds N        N/3 diamonds: a = relu(d), b = d - a, d' = a + b (d' = d and dJ/dd = dJ/dd', so no
#                     value or gradient grows)
#
# Each spec has `backward` from its last node with an assumed gradient, so `run` does a
# forward and a backward pass. Prints one table row per spec: its nodes and, for each command,
# the least wall time and the least CPU time (user + sys, steadier on a loaded machine) of
# REPEATS runs, in seconds.
#
#   tools/bench/graph-size.sh                     # sizes 4000 20000 100000
#   SIZES="4000 20000" REPEATS=1 tools/bench/graph-size.sh
#   NETSPEC="./netspec" tools/bench/graph-size.sh # the native command instead of the dll
#   PHASES=1 tools/bench/graph-size.sh            # then each phase, in process (NetSpec.Bench graph)
#
# Env: SIZES, REPEATS (3), SHAPES (chain chain-reversed fan-in diamonds), NETSPEC (the
# command; default: `dotnet` on the Release dll, built first), KEEP (1 keeps the specs),
# PHASES (1 also prints the milliseconds of parsing, building, the interpreter's constructor,
# one forward and one backward pass of each spec, timed in one process after a warm-up run),
# COMMANDS (0 skips the whole-process table).
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
        lines += [f"  a{k}: {{op: relu, x: {prev}}}", f"  b{k}: {{op: sub, a: {prev}, b: a{k}}}", f"  d{k}: {{op: add, a: a{k}, b: b{k}}}"]
        prev = f"d{k}"
    last = prev
else:
    sys.exit(f"unknown shape {shape}")
with open(path, "w") as f:
    f.write(f"netspec: 1\nname: {shape}-{n}\nnetwork:\n")
    f.write("\n".join(lines) + "\n")
    f.write("data:\n  x: [1, -1, 1, 0]\n")
    f.write(f"backward:\n  from: {last}\n  grad: [1, 1, 1, 1]\n")
PYEOF
}

best() { # best CMD...: "wall cpu", the least wall and the least CPU (user + sys) time of REPEATS runs, in seconds
  local bw="" bc="" w u y c
  for ((k = 0; k < REPEATS; k++)); do
    if ! { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>"$dir/stderr"; } 2>"$dir/time"; then
      echo "graph-size: failed: $* ($(head -c 300 "$dir/stderr"))" >&2
      echo "fail fail"
      return
    fi
    read -r w u y < "$dir/time"
    c=$(echo "$u + $y" | bc)
    if [[ -z "$bw" ]] || (( $(echo "$w < $bw" | bc) )); then bw=$w; fi
    if [[ -z "$bc" ]] || (( $(echo "$c < $bc" | bc) )); then bc=$c; fi
  done
  printf '%.2f %.2f' "$bw" "$bc"
}

for shape in $SHAPES; do
  for n in $SIZES; do generate "$shape" "$n" "$dir/$shape-$n.yaml"; done
done

[[ "${COMMANDS:-1}" == 1 ]] && printf '%-16s %8s %12s %12s %12s %12s\n' "graph" "nodes" "check wall" "check cpu" "run wall" "run cpu"
for shape in $SHAPES; do
  for n in $SIZES; do
    [[ "${COMMANDS:-1}" == 1 ]] || continue
    f="$dir/$shape-$n.yaml"
    nodes=$(grep -c '{op:' "$f")
    # shellcheck disable=SC2086
    read -r cw cc <<< "$(best $NETSPEC check "$f")"
    # shellcheck disable=SC2086
    read -r rw rc <<< "$(best $NETSPEC run "$f")"
    printf '%-16s %8s %12s %12s %12s %12s\n' "$shape" "$nodes" "$cw" "$cc" "$rw" "$rc"
  done
done

if [[ "${PHASES:-}" == 1 ]]; then
  echo "graph-size: building NetSpec.Bench (Release)..." >&2
  dotnet build -c Release tools/bench/NetSpec.Bench --nologo -v quiet >/dev/null || { echo "graph-size: build failed" >&2; exit 1; }
  echo
  specs=()
  for shape in $SHAPES; do for n in $SIZES; do specs+=("$dir/$shape-$n.yaml"); done; done
  "$root/tools/bench/NetSpec.Bench/bin/Release/net10.0/NetSpec.Bench" graph "${specs[@]}"
fi
