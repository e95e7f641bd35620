#!/usr/bin/python3
"""Independent reference for specs/conv2d.yaml and specs/pooling.yaml: PyTorch 1.13 in float64
(torch.nn.functional and torch.autograd; no NetSpec code).

Each spec's inputs are small multiples of 1/4 (exact in float32 and float64). Every output y_k
feeds J_k = sum(G_k * y_k) with a fixed upstream-gradient tensor G_k, and J = sum_k J_k, so
dJ/dy_k = G_k and every input's gradient is what torch.autograd gives for that G_k.

    /usr/bin/python3 tools/conv-reference.py --write   # writes both specs (data and expectations)
    /usr/bin/python3 tools/conv-reference.py           # checks every value of both golden traces

How the values are obtained, op by op:
  conv2d     torch.nn.functional.conv2d (stride, padding, dilation, groups); asymmetric padding
             [top, left, bottom, right] as F.pad with zeros, then conv2d without padding
  max_pool   F.max_pool1d / F.max_pool2d (ties in the inputs: torch's CPU kernel gives the
             gradient to the first maximum in scan order)
  avg_pool   F.avg_pool2d / F.avg_pool3d (count_include_pad, ceil_mode)
  global     x.mean(dim=(2, 3), keepdim=True) (torch.nn.AdaptiveAvgPool2d(1))
  mul, reduce_sum, sum: torch's * , .sum() and + (the objective)
The check compares each traced value with torch's to 1e-12 relative (1e-300 absolute near 0);
a traced value this script does not recompute fails the check.
"""
import json
import pathlib
import sys

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
root = pathlib.Path(__file__).resolve().parent.parent


def pattern(shape, a, b, m, scale):
    """Values ((i * a + b) % m - m // 2) * scale for i = 0, 1, ... in row-major order."""
    n = 1
    for s in shape:
        n *= s
    return torch.tensor([((i * a + b) % m - m // 2) * scale for i in range(n)]).reshape(shape)


def conv2d_case():
    x = pattern([2, 2, 4, 4], 7, 3, 11, 0.5)
    K1, k1 = pattern([3, 2, 3, 3], 5, 1, 9, 0.25), torch.tensor([0.5, -0.25, 1.0])
    K2 = pattern([2, 2, 2, 2], 3, 2, 7, 0.25)
    K3, k3 = pattern([4, 1, 2, 2], 5, 4, 9, 0.25), torch.tensor([0.0, 0.25, -0.5, 0.75])
    leaves = dict(x=x, K1=K1, k1=k1, K2=K2, K3=K3, k3=k3)
    for t in leaves.values():
        t.requires_grad_(True)
    y1 = F.conv2d(x, K1, k1, padding=1)
    # padding [top, left, bottom, right] = [1, 0, 0, 2]: F.pad takes (left, right, top, bottom)
    y2 = F.conv2d(F.pad(x, (0, 2, 1, 0)), K2, None, stride=2)
    y3 = F.conv2d(x, K3, k3, dilation=2, groups=2, padding=(1, 0))
    outs = dict(y1=y1, y2=y2, y3=y3)
    nodes = {
        "y1": "{op: conv2d, x: x, W: K1, b: k1, padding: 1}",
        "y2": "{op: conv2d, x: x, W: K2, stride: 2, padding: [1, 0, 0, 2]}            # no bias; asymmetric padding",
        "y3": "{op: conv2d, x: x, W: K3, b: k3, dilation: 2, groups: 2, padding: [1, 0]}",
    }
    return leaves, outs, nodes, ["K1", "k1", "K2", "K3", "k3"]


def pooling_case():
    # Integer-valued images with repeated values, so that max-pool windows hold ties.
    x = torch.tensor([[[[1., 3, 3, 0, 2], [2, 3, 1, 3, 2], [0, 1, 4, 4, 1], [4, 2, 4, 0, 1]],
                       [[-1., -2, 0, 0, -3], [5, 5, 1, 2, 2], [1, 0, 0, 3, 3], [2, 2, 1, -1, 3]]]]) * 0.5
    s = torch.tensor([[[1., 4, 4, 2, 0, 4], [3, -1, 3, 2, 2, 1]]]) * 0.25
    v = pattern([1, 1, 2, 3, 4], 5, 2, 9, 0.25)
    leaves = dict(x=x, s=s, v=v)
    for t in leaves.values():
        t.requires_grad_(True)
    outs = dict(
        m1=F.max_pool2d(x, 2),
        m2=F.max_pool2d(x, 3, stride=1, padding=1),
        m3=F.max_pool1d(s, 3, stride=2, padding=1, ceil_mode=True),
        a1=F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        a2=F.avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        a3=F.avg_pool3d(v, (1, 2, 2), stride=(1, 1, 2), padding=(0, 1, 0)),
        g=x.mean(dim=(2, 3), keepdim=True),
    )
    nodes = {
        "m1": "{op: max_pool2d, x: x, kernel_size: 2}                                   # 2x2 windows, stride 2 (= kernel); ties to the first maximum",
        "m2": "{op: max_pool2d, x: x, kernel_size: 3, stride: 1, padding: 1}            # overlapping windows share maxima",
        "m3": "{op: max_pool1d, x: s, kernel_size: 3, stride: 2, padding: 1, ceil_mode: true}",
        "a1": "{op: avg_pool2d, x: x, kernel_size: 3, stride: 2, padding: 1, ceil_mode: true}   # padding counted (PyTorch's default)",
        "a2": "{op: avg_pool2d, x: x, kernel_size: 3, stride: 2, padding: 1, ceil_mode: true, count_include_pad: false}",
        "a3": "{op: avg_pool3d, x: v, kernel_size: [1, 2, 2], stride: [1, 1, 2], padding: [0, 1, 0]}",
        "g": "{op: global_avg_pool, x: x}                                               # N x C x 1 x 1",
    }
    return leaves, outs, nodes, []


CASES = {
    "conv2d": (conv2d_case,
               "conv2d three ways on a batch of two 2-channel 4x4 images: a 3x3 kernel with padding 1 and a bias; "
               "a 2x2 kernel with stride 2, asymmetric padding [top, left, bottom, right] = [1, 0, 0, 2] and no bias; "
               "a dilated 2x2 kernel (dilation 2) in 2 groups with padding [1, 0]."),
    "pooling": (pooling_case,
                "max_pool2d (non-overlapping windows with ties, then overlapping 3x3 windows with padding 1), "
                "max_pool1d with ceil_mode, avg_pool2d with ceil_mode counting the padding (PyTorch's default) and not, "
                "avg_pool3d with per-axis kernel, stride and padding, and global_avg_pool."),
}


def build(name):
    case, _ = CASES[name]
    leaves, outs, nodes, params = case()
    gs = {k: pattern(list(y.shape), 3, i + 1, 7, 0.5) for i, (k, y) in enumerate(outs.items())}
    J = sum((gs[k] * y).sum() for k, y in outs.items())
    for y in outs.values():
        y.retain_grad()
    J.backward()
    return leaves, outs, nodes, params, gs, J


def num(v):
    r = repr(float(v))
    return r[:-2] if r.endswith(".0") else r


def lit(t):
    if t.dim() == 0:
        return num(t)
    return "[" + ", ".join(lit(s) for s in t) + "]"


def write(name):
    _, description = CASES[name]
    leaves, outs, nodes, params, gs, J = build(name)
    L = ["# yaml-language-server: $schema=../docs/netspec.schema.json",
         "# Written by tools/conv-reference.py --write: every expected value is PyTorch 1.13 float64 (see the script).",
         "netspec: 1", f"name: {name}", "description: >",
         f"  {description} Each output y_k meets a fixed tensor G_k: J = Σ_k reduce_sum(G_k ⊙ y_k), so dJ/dy_k = G_k.",
         "  Every expected value is torch 1.13 in float64 (torch.nn.functional forward, torch.autograd",
         "  gradients), from tools/conv-reference.py; none comes from NetSpec.",
         "source: NetSpec's op library (PyTorch's conventions; the values from torch.nn.functional)",
         "network:"]
    for k, n in nodes.items():
        L.append(f"  {k}: {n}")
    for k in outs:
        L.append(f"  w{k}: {{op: mul, a: {k}, b: G{k}}}")
        L.append(f"  J{k}: {{op: reduce_sum, x: w{k}}}")
    L.append(f"  J: {{op: sum, inputs: [{', '.join('J' + k for k in outs)}]}}")
    L.append("data:")
    for k, t in leaves.items():
        if k not in params:
            L.append(f"  {k}: {lit(t.detach())}")
    for k, g in gs.items():
        L.append(f"  G{k}: {lit(g)}")
    if params:
        L.append("parameters:")
        for k in params:
            L.append(f"  {k}: {lit(leaves[k].detach())}")
    L += ["backward:", "  from: J", "expect:", "  tolerance: 1e-12", "  forward:"]
    for k, y in outs.items():
        L.append(f"    {k}: {lit(y.detach())}")
    L.append(f"    J: {num(J.detach())}")
    L.append("  gradients:")
    for k, t in leaves.items():
        L.append(f"    {k}: {lit(t.grad)}")
    (root / "specs" / f"{name}.yaml").write_text("\n".join(L) + "\n")
    print(f"wrote specs/{name}.yaml")


def check(name):
    leaves, outs, nodes, params, gs, J = build(name)
    values = {**{k: t.detach() for k, t in leaves.items()}, **{k: y.detach() for k, y in outs.items()},
              **{f"G{k}": g for k, g in gs.items()}, "J": J.detach()}
    for k, y in outs.items():
        values[f"w{k}"] = (gs[k] * y).detach()
        values[f"J{k}"] = (gs[k] * y).sum().detach()
    ref = {("forward", k): v for k, v in values.items()}
    for k, t in leaves.items():
        ref[("backward", k)] = t.grad
    for k, y in outs.items():
        ref[("backward", k)] = y.grad
        ref[("backward", f"w{k}")] = torch.ones_like(y)
        ref[("backward", f"J{k}")] = torch.tensor(1.0)
        ref[("backward", f"G{k}")] = y.detach()   # dJ/dG_k = y_k (G_k is data, traced too)
    ref[("backward", "J")] = torch.tensor(1.0)
    failed = checked = 0
    for line in (root / "specs" / "golden" / f"{name}.trace.jsonl").read_text().splitlines():
        e = json.loads(line)
        key = (e["phase"], e["name"])
        if key not in ref:
            print(f"{name}: {key} is not recomputed here")
            failed += 1
            continue
        want = ref[key].flatten().tolist()
        got = [float(g) for g in e["values"]]
        if len(got) != len(want) or list(e["shape"]) != list(ref[key].shape):
            print(f"{name}: {key}: shape {e['shape']}, torch has {list(ref[key].shape)}")
            failed += 1
            continue
        for i, (g, w) in enumerate(zip(got, want)):
            if not (g == w or abs(g - w) <= 1e-12 * abs(w) + 1e-300):
                print(f"{name}: {key}[{i}]: golden {g!r}, torch {w!r}")
                failed += 1
        checked += len(got)
    print(f"{name}: {checked} values compared, {failed} differences")
    return failed


if __name__ == "__main__":
    if "--write" in sys.argv:
        for n in CASES:
            write(n)
    else:
        sys.exit(1 if sum(check(n) for n in CASES) else 0)
