#!/usr/bin/env python3
"""Real PyTorch exports through NetSpec: torch.onnx.export's models imported and run.

Builds small models of the layer families below with PyTorch (Debian's python3-torch 1.13 is
what users here have), in evaluation mode, with seeded random parameters (batch-norm running
statistics from a few training-mode batches first, so they are not 0 and 1), and exports each
with torch.onnx.export at opsets 13 to 17, in float32 and float64, with a dynamic batch axis
(dynamic_axes, the way a model is exported for serving: x.view(x.size(0), -1) then becomes a
Shape, Gather, Unsqueeze, Concat, Reshape chain) and, for the families where the graph differs,
with a fixed one. Each model's input is a seeded random batch; its expected output is PyTorch's
own forward pass on that batch (model(x) in the export's dtype), written as an ONNX test data set
beside the model. Then each model is imported with its test data,

    netspec import model.onnx -o spec.yaml --test-data test_data_set_0

which writes PyTorch's output as the spec's forward expectation of y; its tolerance is set to
1e-5 in float32 and 1e-10 in float64 under NetSpec's rule |a - e| <= tol * max(1, |e|) (relative
for values of magnitude 1 or more, absolute below), and one `netspec test` over every imported
spec runs them all and checks NetSpec's forward values against PyTorch's. With --errors, each
spec is also run with a trace (`netspec run --trace-file`) and the largest error is shown. One
legacy model is written directly with the onnx package at opset 6 (Gemm and Add with the old
`broadcast` attribute, which older exporters wrote), its expected output computed with numpy in
float64.

Prints a table (family, opset, dtype, batch axis, result, largest error, the ONNX ops of the
model) and exits 1 when any model fails (import refused, run failed, or values off), 2 when
torch or onnx is missing.

    python3 tools/torch-export-check.py [--netspec CMD] [--families a,b] [--opsets 13-17]
                                        [--keep DIR] [--jobs N] [--errors]

--netspec: the netspec command (default: the repository's ./netspec, or $NETSPEC); --keep: keep
the models, test data, specs and traces in DIR; --jobs: netspec processes at once.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import warnings

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
    import torch
    import torch.nn as nn
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"needs torch, onnx and numpy ({e}); Debian: apt-get install python3-torch python3-onnx", file=sys.stderr)
    sys.exit(2)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOL = {"float32": 1e-5, "float64": 1e-10}


class View(nn.Module):
    """conv, relu, x.view(x.size(0), -1), linear: the reshape PyTorch users write by hand."""

    def __init__(self, head=None):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3, padding=1)
        self.fc = nn.Linear(3 * 6 * 6, 4)
        self.head = head

    def forward(self, x):
        x = torch.relu(self.conv(x))
        x = self.fc(x.view(x.size(0), -1))
        return self.head(x) if self.head is not None else x


class LeNet(nn.Module):
    """The LeNet of ../shared/bench/peers/cnn_train_torch.py (conv 1->8 3x3 padded, relu, max-pool 2,
    conv 8->16 3x3, relu, flatten, linear 64, relu, linear 10) on 8 x 8 images, with x.view."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 16, 3)
        self.f1 = nn.Linear(16 * 2 * 2, 64)
        self.f2 = nn.Linear(64, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.c1(x)), 2)
        x = torch.relu(self.c2(x))
        x = x.view(x.size(0), -1)
        return self.f2(torch.relu(self.f1(x)))


def mlp(act):
    return nn.Sequential(nn.Linear(6, 8), act, nn.Linear(8, 3))


# name -> (model builder, input shape without the batch, also exported with a fixed batch)
FAMILIES = {
    "mlp-relu": (lambda: mlp(nn.ReLU()), (6,), False),
    "mlp-sigmoid": (lambda: mlp(nn.Sigmoid()), (6,), False),
    "mlp-tanh": (lambda: mlp(nn.Tanh()), (6,), False),
    "mlp-leaky-relu": (lambda: mlp(nn.LeakyReLU(0.1)), (6,), False),
    "mlp-elu": (lambda: mlp(nn.ELU(alpha=0.7)), (6,), False),
    "mlp-gelu": (lambda: mlp(nn.GELU()), (6,), False),
    "mlp-gelu-tanh": (lambda: mlp(nn.GELU(approximate="tanh")), (6,), False),
    "mlp-softplus": (lambda: mlp(nn.Softplus()), (6,), False),
    "mlp-softplus-beta2": (lambda: mlp(nn.Softplus(beta=2.0, threshold=5.0)), (6,), False),
    "batchnorm1d": (lambda: nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)), (6,), False),
    "batchnorm2d": (lambda: nn.Sequential(nn.BatchNorm2d(2), nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 3)), (2, 6, 6), False),
    "layernorm": (lambda: nn.Sequential(nn.Linear(6, 8), nn.LayerNorm(8), nn.Tanh(), nn.Linear(8, 3)), (6,), False),
    "dropout-eval": (lambda: nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3)), (6,), False),
    "logsoftmax-head": (lambda: nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4), nn.LogSoftmax(dim=1)), (6,), False),
    "cnn-stride-padding": (lambda: nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 4 * 4, 3)), (1, 8, 8), False),
    "cnn-groups": (lambda: nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, groups=2), nn.ReLU(), nn.Conv2d(4, 4, 3, groups=4, bias=False), nn.Flatten(), nn.Linear(4 * 4 * 4, 3)), (2, 6, 6), False),
    "cnn-maxpool": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.MaxPool2d(3, stride=1, padding=1), nn.Flatten(), nn.Linear(3 * 4 * 4, 3)), (1, 8, 8), False),
    "cnn-avgpool": (lambda: nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(3 * 4 * 4, 3)), (1, 8, 8), False),
    "cnn-avgpool-padded": (lambda: nn.Sequential(nn.AvgPool2d(3, stride=1, padding=1), nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 6 * 6, 3)), (1, 8, 8), False),
    "cnn-adaptive-avgpool": (lambda: nn.Sequential(nn.Conv2d(2, 5, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(5, 3)), (2, 6, 6), False),
    "cnn-view": (lambda: View(), (1, 6, 6), True),
    "cnn-view-logsoftmax": (lambda: View(nn.LogSoftmax(dim=1)), (1, 6, 6), True),
    "lenet": (lambda: LeNet(), (1, 8, 8), True),
}
LEGACY = "legacy-opset6-broadcast"
BATCH = 3


def seed_of(name):
    return sum((i + 1) * ord(c) for i, c in enumerate(name)) % 100003


def build(name, dtype):
    """The family's model in evaluation mode and an input batch, both seeded by the family's name."""
    make, shape, _ = FAMILIES[name]
    torch.manual_seed(seed_of(name))
    model = make()
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
            nn.init.uniform_(m.weight, 0.5, 1.5)
            nn.init.uniform_(m.bias, -0.5, 0.5)
    if any(isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)) for m in model.modules()):
        model.train()
        with torch.no_grad():
            for _ in range(3):
                model(torch.randn(8, *shape) * 2 + 0.5)   # running statistics away from 0 and 1
    model.eval()
    model = model.to(getattr(torch, dtype))
    x = torch.randn(BATCH, *shape, dtype=getattr(torch, dtype))
    return model, x


def export(name, opset, dtype, dynamic, folder):
    model, x = build(name, dtype)
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    with torch.no_grad():
        y = model(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, x, path, opset_version=opset, input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "N"}, "y": {0: "N"}} if dynamic else None)
    write_test_data(folder, x.numpy(), y.numpy())
    return path, y.numpy().astype(np.float64)


def legacy(folder):
    """Opset 6: y = Gemm(x, W, b, transB = 1, broadcast = 1) + c, Add with broadcast = 1 (both the default from opset 7)."""
    from onnx import helper, TensorProto
    rng = np.random.default_rng(seed_of(LEGACY))
    x = rng.standard_normal((BATCH, 4)).astype(np.float32)
    w = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    c = rng.standard_normal(3).astype(np.float32)
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["z"], transB=1, broadcast=1),
             helper.make_node("Add", ["z", "c"], ["y"], broadcast=1)]
    graph = helper.make_graph(nodes, "legacy", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [BATCH, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [BATCH, 3])],
                              [onnx.numpy_helper.from_array(a, n) for a, n in ((w, "W"), (b, "b"), (c, "c"))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 6)], ir_version=3)
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    path = os.path.join(folder, "model.onnx")
    onnx.save(model, path)
    y = x.astype(np.float64) @ w.astype(np.float64).T + b.astype(np.float64) + c.astype(np.float64)
    write_test_data(folder, x, y.astype(np.float32))
    return path, y


def write_test_data(folder, x, y):
    for name, a in (("input_0", x), ("output_0", y)):
        with open(os.path.join(folder, "test_data_set_0", name + ".pb"), "wb") as f:
            f.write(onnx.numpy_helper.from_array(a).SerializeToString())


def one_line(text, limit=160):
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    line = next((l for l in lines if "error" in l.lower() or "refuse" in l.lower() or ":" in l), lines[0] if lines else "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def import_model(netspec, folder, dtype):
    """netspec import with the test data; the spec's tolerances then set to TOL (NetSpec's rule)."""
    spec = os.path.join(folder, "spec.yaml")
    r = subprocess.run(netspec + ["import", os.path.join(folder, "model.onnx"), "-o", spec, "--test-data",
                                  os.path.join(folder, "test_data_set_0")], capture_output=True, text=True)
    if r.returncode != 0:
        return "IMPORT", reason(r.stderr + r.stdout)
    with open(spec) as f:
        text = f.read()
    lines = [re.sub(r"^(\s+)tolerance: \S+$", rf"\1tolerance: {TOL[dtype]:g}", l) for l in text.split("\n")]
    if not any(re.match(r"^\s+tolerance: ", l) for l in lines):
        return "IMPORT", "the imported spec has no expectation of the output"
    with open(spec, "w") as f:
        f.write("\n".join(lines))
    return None, ""


def test_all(netspec, work):
    """netspec test over every imported spec at once: {spec folder: (result, detail)}."""
    r = subprocess.run(netspec + ["test", work], capture_output=True, text=True)
    out, current = {}, None
    for line in r.stdout.splitlines():
        m = re.match(r"^(PASS|FAIL|INVALID)\s+(\S+)", line)
        if m:
            current = os.path.dirname(os.path.abspath(m.group(2)))
            out[current] = ("ok" if m.group(1) == "PASS" else "VALUES" if m.group(1) == "FAIL" else "RUN", "")
        elif current and out[current][0] != "ok" and ("differs by" in line or "error" in line.lower()) and not out[current][1]:
            out[current] = (out[current][0], one_line(line))
    return out


def largest_error(netspec, folder, expected):
    """NetSpec's forward value of y (from a trace) against torch's: max |a - e| / max(1, |e|)."""
    trace = os.path.join(folder, "trace.jsonl")
    subprocess.run(netspec + ["run", os.path.join(folder, "spec.yaml"), "--quiet", "--trace-file", trace], capture_output=True, text=True)
    if not os.path.exists(trace):
        return None
    value = None
    with open(trace) as f:
        for line in f:
            e = json.loads(line)
            if e.get("phase") == "forward" and e.get("name") == "y":
                value = e
    if value is None or len(value["values"]) != expected.size:
        return None
    got = np.array(value["values"], dtype=np.float64)
    want = expected.reshape(-1)
    return float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))))


def reason(text):
    """A refusal's reason without the file and node names, so equal reasons group."""
    line = one_line(text, 400)
    m = re.search(r"NetSpec has no op for ONNX '(\w+)'", line)
    if m:
        return f"NetSpec has no op for ONNX '{m.group(1)}'"
    line = re.sub(r"^netspec: \S+: cannot import: ", "", line)
    line = re.sub(r"node '[^']*' \((\w+)\)", r"\1", line)
    return line if len(line) <= 160 else line[:157] + "..."


def onnx_ops(path):
    ops = []
    for n in onnx.load(path).graph.node:
        if n.op_type not in ops:
            ops.append(n.op_type)
    return " ".join(ops)


def main():
    ap = argparse.ArgumentParser(description="PyTorch exports imported and run by NetSpec")
    ap.add_argument("--netspec", default=os.environ.get("NETSPEC", os.path.join(ROOT, "netspec")))
    ap.add_argument("--families", default="", help="comma-separated; default every family and the legacy model")
    ap.add_argument("--opsets", default="13-17")
    ap.add_argument("--keep", default="")
    ap.add_argument("--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    ap.add_argument("--errors", action="store_true", help="also run each spec with a trace for the largest error (slower)")
    args = ap.parse_args()
    netspec = [args.netspec] if os.path.exists(args.netspec) else shlex.split(args.netspec)
    lo, _, hi = args.opsets.partition("-")
    opsets = list(range(int(lo), int(hi or lo) + 1))
    names = [n for n in args.families.split(",") if n] or list(FAMILIES) + [LEGACY]
    unknown = [n for n in names if n not in FAMILIES and n != LEGACY]
    if unknown:
        print(f"unknown families: {', '.join(unknown)} (known: {', '.join(FAMILIES)}, {LEGACY})", file=sys.stderr)
        return 64
    work = args.keep or tempfile.mkdtemp(prefix="netspec-torch-")
    print(f"torch {torch.__version__}, onnx {onnx.__version__}; netspec: {' '.join(netspec)}; models in {work}")

    jobs = []   # (family, opset, dtype, batch, folder, expected)
    for name in names:
        if name == LEGACY:
            folder = os.path.join(work, LEGACY)
            path, y = legacy(folder)
            jobs.append((LEGACY, 6, "float32", "fixed", folder, y))
            continue
        for opset in opsets:
            for dtype in ("float32", "float64"):
                for dynamic in ([True, False] if FAMILIES[name][2] else [True]):
                    batch = "N" if dynamic else "fixed"
                    folder = os.path.join(work, f"{name}-opset{opset}-{dtype}-{batch}")
                    try:
                        path, y = export(name, opset, dtype, dynamic, folder)
                    except Exception as e:   # an export PyTorch itself refuses is reported, not hidden
                        jobs.append((name, opset, dtype, batch, folder, e))
                        continue
                    jobs.append((name, opset, dtype, batch, folder, y))

    def imported(job):
        name, opset, dtype, batch, folder, y = job
        if isinstance(y, Exception):
            return "EXPORT", one_line(str(y))
        return import_model(netspec, folder, dtype)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(imported, jobs))
    tested = test_all(netspec, work)
    errors = {}
    if args.errors:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            ran = [j for j, (status, _) in zip(jobs, results) if status is None]
            for j, err in zip(ran, pool.map(lambda j: largest_error(netspec, j[4], j[5]), ran)):
                errors[j[4]] = err
    results = [(status, detail) if status else tested.get(os.path.abspath(job[4]), ("RUN", "netspec test did not run the spec"))
               for job, (status, detail) in zip(jobs, results)]
    results = [(status, errors.get(job[4]), detail) for job, (status, detail) in zip(jobs, results)]

    rows = []
    for (name, opset, dtype, batch, folder, y), (status, err, detail) in zip(jobs, results):
        ops = onnx_ops(os.path.join(folder, "model.onnx")) if os.path.exists(os.path.join(folder, "model.onnx")) else ""
        rows.append((name, str(opset), dtype, batch, status, "" if err is None else f"{err:.1e}", ops, detail))
    head = ("family", "opset", "dtype", "batch", "result", "max err", "ONNX ops")
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(6)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)) + "  " + head[6])
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[6] + (f"\n    {r[7]}" if r[7] else ""))
    failed = [r for r in rows if r[4] != "ok"]
    print(f"{len(rows) - len(failed)} of {len(rows)} PyTorch exports import and run to torch's outputs "
          f"(tol 1e-5 float32, 1e-10 float64, x max(1, |torch|))")
    if failed:
        by = {}
        for r in failed:
            by.setdefault(f"{r[4]}: {r[7] if r[4] != 'VALUES' else 'values off'}", []).append(f"{r[0]}/{r[1]}/{r[2]}/{r[3]}")
        print("failures by reason:")
        for reason, which in sorted(by.items(), key=lambda kv: -len(kv[1])):
            print(f"  {len(which):3d}  {reason}  ({', '.join(sorted(set(w.split('/')[0] for w in which)))})")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
