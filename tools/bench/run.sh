#!/usr/bin/env bash
# Runs NetSpec and the peer scripts side by side on the same workloads, in one run, and prints
# the ratio table of docs/performance.md with the machine's description.
#
#   tools/bench/run.sh                 # everything (about 10 minutes on 2 cores)
#   REPEATS=3 tools/bench/run.sh       # fewer repeats
#
# Needs the peers' setup (Debian, once, as root):
#   apt-get update && apt-get install -y python3-torch python3-numpy python3-sklearn hyperfine
# and, for the matrix-product comparison, libopenblas0-pthread.
# Env: PEERS (default ../shared/bench/peers), PY (default /usr/bin/python3), REPEATS (5),
#      WIDE_REPEATS (3), OUT (the JSON-lines results file).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
PEERS="${PEERS:-$root/../shared/bench/peers}"
PY="${PY:-/usr/bin/python3}"
REPEATS="${REPEATS:-5}"
WIDE_REPEATS="${WIDE_REPEATS:-3}"
OUT="${OUT:-$root/tools/bench/results-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
: > "$OUT"

missing=()
[[ -f "$PEERS/mlp_train_numpy.py" ]] || missing+=("the peer scripts (PEERS=$PEERS)")
"$PY" -c 'import numpy' 2>/dev/null || missing+=("python3-numpy")
command -v hyperfine >/dev/null || missing+=("hyperfine")
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "bench: missing ${missing[*]}; see the header of this script" >&2
  exit 2
fi

# OpenBLAS reads these at load time; on some processors they are set to an older kernel.
# Unset them for the peers only, so numpy runs its best kernel for this processor. OpenBLAS 0.3.21
# does not know every processor: on a recent Intel Xeon it falls back to its SSE3 "Prescott"
# kernel (a fifth of the machine's speed), so when the unset run reports a fallback kernel on a
# processor with AVX-512, the peers get OpenBLAS's AVX-512 kernel (SkylakeX) by name instead, and
# the table says which kernel they ran (threadpoolctl's report).
blas_kernel() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${1:+OPENBLAS_CORETYPE=$1} "$PY" -c \
  'import numpy, threadpoolctl; print(next((i.get("architecture") for i in threadpoolctl.threadpool_info() if i.get("internal_api") == "openblas"), "unknown"))' 2>/dev/null || echo unknown; }
PEER_CORETYPE="${PEER_CORETYPE:-}"
if [[ -z "$PEER_CORETYPE" ]]; then
  k="$(blas_kernel)"
  if [[ "$k" =~ ^(Prescott|Core2|Nehalem|Penryn|Dunnington|Atom|unknown)$ ]] && grep -qw avx512f /proc/cpuinfo; then
    PEER_CORETYPE=SkylakeX
    echo "bench: OpenBLAS picks its '$k' kernel here unset; the peers run with OPENBLAS_CORETYPE=SkylakeX (AVX-512)" >&2
  fi
fi
PEER_KERNEL="$(blas_kernel "$PEER_CORETYPE")"
peer() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${PEER_CORETYPE:+OPENBLAS_CORETYPE=$PEER_CORETYPE} "$@"; }
coretype_arg=(); [[ -n "$PEER_CORETYPE" ]] && coretype_arg=(--openblas-coretype "$PEER_CORETYPE")

echo "bench: building (Release)..." >&2
dotnet build -c Release tools/bench/NetSpec.Bench --nologo -v quiet >/dev/null || { echo "bench: build failed" >&2; exit 1; }
./netspec --help >/dev/null # builds the command if needed
# The start-up figures time both builds ./netspec makes: Native AOT (.netspec/bin, where clang is
# installed) and the ReadyToRun fallback, built into a folder of its own so that neither replaces
# the other. Where ./netspec built ReadyToRun (no clang), that build is the only one.
build="ReadyToRun"
if [[ "$(cat .netspec/bin/.built 2>/dev/null)" == aot || -f .netspec/bin/netspec.dbg ]]; then build="Native AOT"; fi
R2R_OUT="$root/.netspec/r2r"
if [[ $build == "Native AOT" ]]; then
  NETSPEC_BUILD=r2r NETSPEC_OUT="$R2R_OUT" ./netspec --help >/dev/null || { echo "bench: the ReadyToRun build failed" >&2; exit 1; }
fi
BENCH="$root/tools/bench/NetSpec.Bench/bin/Release/net10.0/NetSpec.Bench"

record() { # record NAME CMD...: one JSON line from CMD, tagged with NAME
  local line
  if line="$("${@:2}" 2>>"$OUT.stderr" | tail -n 1)" && [[ -n "$line" ]]; then
    "$PY" -c 'import json,sys; d=json.loads(sys.argv[2]); d["workload"]=sys.argv[1]; print(json.dumps(d))' "$1" "$line" >> "$OUT"
  else
    echo "{\"workload\": \"$1\", \"error\": true}" >> "$OUT"
    echo "bench: $1 failed (see $OUT.stderr)" >&2
  fi
}

PEER_KERNEL="$PEER_KERNEL" PEER_CORETYPE="$PEER_CORETYPE" "$PY" - >> "$OUT" <<'PYEOF'
import json, os, platform, subprocess
cpu = open("/proc/cpuinfo").read().splitlines()
val = lambda k: next((l.split(":", 1)[1].strip() for l in cpu if l.startswith(k)), "")
flags = val("flags").split()
dotnet = subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip()
import numpy
print(json.dumps({"workload": "meta", "cpu": val("model name"), "mhz": val("cpu MHz"), "cores": os.cpu_count(),
                  "avx512f": "avx512f" in flags, "fma": "fma" in flags, "kernel": platform.release(),
                  "dotnet": dotnet, "python": platform.python_version(), "numpy": numpy.__version__,
                  "loadavg": open("/proc/loadavg").read().split()[:3],
                  "peer_blas_kernel": os.environ.get("PEER_KERNEL", ""), "peer_coretype": os.environ.get("PEER_CORETYPE", "")}))
PYEOF

for t in 1 2; do
  echo "bench: digits MLP, $t thread(s)..." >&2
  record "digits_numpy_t$t" peer "$PY" "$PEERS/mlp_train_numpy.py" --dataset digits --hidden 128,64 --batch 32 \
      --epochs 20 --lr 0.1 --lambda 1e-4 --threads "$t" --dtype float32 --seed 0 --repeats "$REPEATS"
  record "digits_netspec_t$t" "$BENCH" train specs/digits.yaml --threads "$t" --repeats "$REPEATS"
done
record "digits_netspec_summaries" "$BENCH" train specs/digits.yaml --threads 1 --repeats "$REPEATS" --trace summaries

for t in 1 2; do
  echo "bench: wide MLP 784-1024-1024-10, $t thread(s)..." >&2
  record "wide_numpy_t$t" peer "$PY" "$PEERS/mlp_train_numpy.py" --dataset synthetic --n 8192 --features 784 --classes 10 \
      --hidden 1024,1024 --batch 256 --epochs 2 --lr 0.1 --lambda 1e-4 --threads "$t" --dtype float32 --seed 0 --repeats "$WIDE_REPEATS"
  record "wide_netspec_t$t" "$BENCH" train tools/bench/specs/wide-mlp.yaml --threads "$t" --repeats "$WIDE_REPEATS"
done

echo "bench: conv2d against the GEMM, LeNet CNN against PyTorch, 1 thread..." >&2
peer "$BENCH" cnn --repeats "$REPEATS" --peers "$PEERS" --python "$PY" "${coretype_arg[@]}" > "$OUT.cnn.txt" 2>>"$OUT.stderr"
grep '^{' "$OUT.cnn.txt" | "$PY" -c 'import json,sys; [print(json.dumps(dict(json.loads(l), workload="cnn_" + json.loads(l).get("bench", json.loads(l).get("peer", "")) ))) for l in sys.stdin]' >> "$OUT"
grep '^|' "$OUT.cnn.txt" >&2

echo "bench: MLP scaling, widths 64..1024 x batch 1..256 on digits against numpy, 1 thread (about 5 minutes)..." >&2
"$BENCH" scaling --threads 1 --repeats "${SCALING_REPEATS:-3}" --peers "$PEERS" --python "$PY" "${coretype_arg[@]}" > "$OUT.scaling.md" 2>>"$OUT.stderr"
grep '^{' "$OUT.scaling.md" | "$PY" -c 'import json,sys; [print(json.dumps(dict(json.loads(l), workload="scaling"))) for l in sys.stdin]' >> "$OUT"

echo "bench: matrix products against OpenBLAS..." >&2
peer "$BENCH" gemm-quick --dtype float --threads 1,2 > "$OUT.gemm.md" 2>>"$OUT.stderr"
"$PY" - "$OUT.gemm.md" >> "$OUT" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) == 6 and cells[1] == "float32":
        try:
            print(json.dumps({"workload": "gemm", "shape": cells[0], "threads": int(cells[2]),
                              "netspec_gflops": float(cells[3]), "openblas_gflops": float(cells[4]) if cells[4] not in ("", "-") else None}))
        except ValueError:
            pass
PYEOF

echo "bench: the full trace of one wide step (text and JSON lines) against untraced..." >&2
record "trace_wide" "$BENCH" trace tools/bench/specs/wide-mlp.yaml --repeats "${TRACE_REPEATS:-3}"

echo "bench: start-up and trace (hyperfine)..." >&2
startup() { # startup PREFIX BUILD CMD...: hyperfine of lab07 (and its quiet and traced runs, numpy's) and digits through CMD
  local prefix="$1" label="$2"; shift 2
  local cmd="$*" extra=()
  if [[ -z "$prefix" ]]; then
    extra=(-n netspec_lab07_quiet "$cmd run specs/lab07.yaml --quiet"
           -n netspec_lab07_traced "$cmd run specs/lab07.yaml --quiet --trace-file /tmp/netspec-bench-trace.jsonl"
           -n numpy_lab07 "env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $PY $PEERS/lab07_numpy.py")
  fi
  hyperfine -N --warmup 3 --runs 20 --export-json "$OUT.hyperfine$prefix.json" \
    -n "netspec${prefix}_lab07" "$cmd run specs/lab07.yaml" "${extra[@]}" >&2
  hyperfine -N --warmup 2 --runs 10 --export-json "$OUT.hyperfine$prefix-digits.json" \
    -n "netspec${prefix}_digits" "$cmd run specs/digits.yaml" >&2
  "$PY" - "$label" "$OUT.hyperfine$prefix.json" "$OUT.hyperfine$prefix-digits.json" >> "$OUT" <<'PYEOF'
import json, sys
for r in [r for f in sys.argv[2:] for r in json.load(open(f))["results"]]:
    print(json.dumps({"workload": "startup", "name": r["command"], "build": sys.argv[1], "median_s": r["median"], "min_s": r["min"], "max_s": r["max"],
                      "user_s": r.get("user"), "system_s": r.get("system")}))
PYEOF
}
# The built program is timed, not the ./netspec script around it: the script's check that the
# build is current (bash, and find over src/) adds about 12 ms to every run on this kind of
# machine, the same for both builds. The ReadyToRun build runs with the settings the script gives it.
startup "" "$build" "$root/.netspec/bin/netspec"
if [[ $build == "Native AOT" ]]; then
  startup _r2r ReadyToRun env DOTNET_EnableWriteXorExecute=0 DOTNET_TieredPGO=0 "$R2R_OUT/netspec"
fi

"$PY" "$root/tools/bench/summarize.py" "$OUT" "$build"
echo "results: $OUT" >&2
