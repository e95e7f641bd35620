#!/usr/bin/python3
"""Prints the ratio table of docs/performance.md from a tools/bench/run.sh results file."""
import json, sys

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
build = sys.argv[2] if len(sys.argv) > 2 else "?"
by = {r["workload"]: r for r in rows if "workload" in r and r["workload"] not in ("gemm", "startup", "scaling")}
meta = by.get("meta", {})

def sps(name):
    r = by.get(name)
    return None if not r or r.get("error") else r["samples_per_second"]

def ratio(a, b):
    return None if a is None or b is None else a / b

def fmt(x, unit=""):
    return "n/a" if x is None else (f"{x:,.0f}{unit}" if x >= 100 else f"{x:.3g}{unit}")

print(f"Machine: {meta.get('cpu')} ({meta.get('cores')} cores, {meta.get('mhz')} MHz, AVX-512 {'yes' if meta.get('avx512f') else 'no'}), "
      f"Linux {meta.get('kernel')}, .NET {meta.get('dotnet')}, Python {meta.get('python')}, numpy {meta.get('numpy')}; "
      f"load average at start {' '.join(meta.get('loadavg', []))}; netspec build: {build}; "
      f"the peers' OpenBLAS kernel: {meta.get('peer_blas_kernel') or '?'}"
      f"{' (OPENBLAS_CORETYPE=' + meta['peer_coretype'] + ': unset, OpenBLAS falls back to a generic kernel on this processor)' if meta.get('peer_coretype') else ' (OPENBLAS_CORETYPE unset)'}.")
peak = by.get("cnn_fma_peak", {}).get("gflops")
if peak:
    bits = by.get("cnn_fma_peak", {}).get("vector_bits", 512)
    print(f"FMA peak measured in this run (1 thread, float32, {'AVX-512' if bits == 512 else f'{bits}-bit AVX'} FMA chains): {peak:.1f} GFLOP/s per core.")
print()
print("| workload | NetSpec | peer | ratio | goal | met |")
print("|---|---|---|---|---|---|")
def line(name, ns, peer, r, goal, ok):
    print(f"| {name} | {ns} | {peer} | {'n/a' if r is None else f'{r:.2f}x'} | {goal} | {'n/a' if r is None else ('yes' if ok(r) else 'no')} |")

for t in (1, 2):
    a, b = sps(f"digits_netspec_t{t}"), sps(f"digits_numpy_t{t}")
    line(f"digits MLP 64-128-64-10, batch 32, 20 epochs, float32, {t} thread{'s' if t > 1 else ''}: training samples/s",
         fmt(a), f"numpy {fmt(b)}", ratio(a, b), ">= 3.5x numpy" if t == 1 else "(2 threads)", (lambda r: r >= 3.5) if t == 1 else (lambda r: True))
for t in (1, 2):
    a, b = sps(f"wide_netspec_t{t}"), sps(f"wide_numpy_t{t}")
    goal = 1.1
    line(f"wide MLP 784-1024-1024-10, batch 256, 8192 samples, 2 epochs, float32, {t} thread{'s' if t > 1 else ''}: samples/s",
         fmt(a), f"numpy {fmt(b)}", ratio(a, b), f">= {goal}x numpy", lambda r, g=goal: r >= g)

gemm = [r for r in rows if r.get("workload") == "gemm"]
for t in (1, 2):
    g = [r for r in gemm if r["threads"] == t and r.get("openblas_gflops")]
    if g:
        worst = min(g, key=lambda r: r["netspec_gflops"] / r["openblas_gflops"])
        rs = sorted(r["netspec_gflops"] / r["openblas_gflops"] for r in g)
        med = rs[len(rs) // 2]
        line(f"matrix products on the MLP shapes, float32, {t} thread{'s' if t > 1 else ''} (median over {len(g)} shapes; worst: {worst['shape']} {worst['netspec_gflops'] / worst['openblas_gflops']:.2f}x)",
             f"{sum(r['netspec_gflops'] for r in g) / len(g):.0f} GFLOP/s mean", f"OpenBLAS {sum(r['openblas_gflops'] for r in g) / len(g):.0f} GFLOP/s mean",
             med, ">= 1.0x OpenBLAS median, worst >= 0.9x", lambda r, w=worst: r >= 1.0 and w["netspec_gflops"] / w["openblas_gflops"] >= 0.9)

conv = by.get("cnn_conv_lenet")
if conv:
    line(f"conv2d forward + backward, LeNet shapes, batch 32, against the GEMM on the same products (wall; processor time {conv['conv_over_gemm_cpu']:.2f}x)",
         f"{conv['conv_step_us']:.1f} µs/step ({conv['conv_gflops']:.1f} GFLOP/s)", f"GEMM {conv['gemm_step_us']:.1f} µs ({conv['gemm_gflops']:.1f} GFLOP/s)",
         conv["conv_over_gemm_time"], "<= 1.5x the GEMM's time", lambda r: r <= 1.5)
ours, torch = by.get("cnn_netspec_train"), by.get("cnn_cnn_train")
if ours and torch:
    line("LeNet-style CNN training (specs/lenet-digits.yaml, 40 epochs, 1 thread), PyTorch time / NetSpec time",
         f"{ours['train_seconds']:.3f} s", f"PyTorch {torch.get('version')} {torch['train_seconds']:.3f} s", torch["train_seconds"] / ours["train_seconds"], ">= 2x", lambda r: r >= 2)
tr = by.get("trace_wide")
if tr and not tr.get("error"):
    line(f"full text trace of one wide step (784-1024-1024-10, batch 256) against untraced (processor time {tr.get('text_cpu_ratio', 0):.2f}x)",
         f"{tr['text_ms']:.1f} ms", f"untraced {tr['untraced_ms']:.1f} ms", tr["text_ratio"], "<= 1.5x", lambda r: r <= 1.5)
    mbs = tr["json_mb_per_s"]
    print(f"| JSON-lines trace of the same step ({tr['json_bytes'] / 1e6:.0f} MB), MB/s written (1 thread: {tr['json_1_thread_ms']:.0f} ms) | {tr['json_ms']:.0f} ms | untraced {tr['untraced_ms']:.1f} ms | {mbs:.0f} MB/s | >= 300 MB/s | {'yes' if mbs >= 300 else 'no'} |")

st = {r["name"]: r for r in rows if r.get("workload") == "startup"}
peer = st.get("numpy_lab07", {}).get("median_s")
# One pair of rows per build timed: the build ./netspec made (prefix "") and, beside a Native AOT
# build, the ReadyToRun fallback (prefix "_r2r"). Older results files name no build: the argument's.
for prefix in ("", "_r2r"):
    lab, dig = st.get(f"netspec{prefix}_lab07"), st.get(f"netspec{prefix}_digits")
    if not lab and not dig:
        continue
    b = (lab or dig).get("build") or (build if prefix == "" else "ReadyToRun")
    def cpu(r):
        return f"; processor time {(r['user_s'] + r['system_s']) * 1000:.0f} ms" if r.get("user_s") is not None and r.get("system_s") is not None else ""
    if dig:
        dms = dig["median_s"] * 1000
        print(f"| `netspec run specs/digits.yaml`, whole process of the built program ({b}: parse, train 20 epochs, curve PNG/SVG/CSV{cpu(dig)}) | {dms:.0f} ms | | | <= 60 ms | {'yes' if dms <= 60 else 'no'} |")
    if lab:
        ms = lab["median_s"] * 1000
        limit = 15 if b == "Native AOT" else 60
        print(f"| `netspec run specs/lab07.yaml`, whole process of the built program ({b}{cpu(lab)}) | {ms:.1f} ms | python3 lab07_numpy.py {fmt(peer * 1000 if peer else None, ' ms')} | "
              f"{'n/a' if not peer else f'{peer * 1000 / ms:.1f}x faster' if peer * 1000 >= ms else f'{ms / (peer * 1000):.1f}x slower'} | <= {limit} ms | {'yes' if ms <= limit else 'no'} |")
if "netspec_lab07_traced" in st and "netspec_lab07_quiet" in st:
    r = st["netspec_lab07_traced"]["median_s"] / st["netspec_lab07_quiet"]["median_s"]
    line("full value trace of lab07 to a JSON file, against the same run without it",
         f"{st['netspec_lab07_traced']['median_s'] * 1000:.1f} ms", f"untraced {st['netspec_lab07_quiet']['median_s'] * 1000:.1f} ms",
         r, "<= 1.2x", lambda x: x <= 1.2)
a, b = by.get("digits_netspec_summaries"), by.get("digits_netspec_t1")
if a and b and not a.get("error") and not b.get("error"):
    r = a["train_seconds"] / b["train_seconds"]
    line(f"digits training with per-epoch summaries traced, against untraced (steady state: {a['steady_state_allocated_bytes_per_step']:.1f} bytes/step, {a['steady_state_gen0_collections']} gen-0 collections)",
         f"{a['train_seconds']:.3f} s", f"untraced {b['train_seconds']:.3f} s", r, "<= 1.05x", lambda x: x <= 1.05)

scaling = [r for r in rows if r.get("workload") == "scaling" and r.get("ratio")]
if scaling:
    worst = min(scaling, key=lambda r: r["ratio"])
    line(f"every MLP 64-W-W-10, W 64..1024 x batch 1..256, on digits, float32, 1 thread (worst of {len(scaling)} cells: {worst['width']} x batch {worst['batch']})",
         f"{worst['netspec_samples_per_second']:,.0f} samples/s", f"numpy {worst['numpy_samples_per_second']:,.0f}", worst["ratio"], ">= 1.2x numpy everywhere", lambda r: r >= 1.2)
    print()
    print("Scaling (samples/s, NetSpec / numpy):")
    print()
    widths = sorted({r["width"] for r in scaling})
    batches = sorted({r["batch"] for r in scaling})
    cell = {(r["width"], r["batch"]): r for r in scaling}
    print("| width \\ batch | " + " | ".join(str(b) for b in batches) + " |")
    print("|---|" + "---|" * len(batches))
    for w in widths:
        print(f"| {w} | " + " | ".join(f"{cell[(w, b)]['ratio']:.2f}x" if (w, b) in cell else "-" for b in batches) + " |")
