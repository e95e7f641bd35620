#!/usr/bin/env python3
"""Recomputes every value of the golden traces added with the op library (sigmoid,
sigmoid-network, reduce-sum-axes, activations) with PyTorch float64 autograd, independently of
NetSpec, and compares each one: relative 1e-12 (absolute 1e-300 near zero). Every traced value
must be recomputed; an unrecognised line fails. Needs Debian's python3-torch.

    /usr/bin/python3 tools/check-new-goldens.py
"""
import json, math, pathlib, sys
import torch

torch.set_default_dtype(torch.float64)
root = pathlib.Path(__file__).resolve().parent.parent
T = lambda v, g=True: torch.tensor(v, requires_grad=g)


def run(values, root_name, grad, updates=None, lr=None):
    """values: name -> tensor (leaves with requires_grad or computed); backward from root."""
    for t in values.values():
        if not t.is_leaf:
            t.retain_grad()
    r = values[root_name]
    r.backward(torch.ones_like(r) if grad is None else torch.tensor(grad))
    out = {("forward", n): t.detach() for n, t in values.items()}
    for n, t in values.items():
        if t.grad is not None:
            out[("backward", n)] = t.grad.detach()
    for n in updates or []:
        out[("update", n)] = (values[n] - lr * values[n].grad).detach()
    return out


def sigmoid():
    x = T([[-800., -30, -2, 0, 0.5, 3, 40, 800]])
    return run({"x": x, "s": torch.sigmoid(x)}, "s", [[1., 2, -1, 3, 0.5, -2, 1, 1]])


def sigmoid_network():
    x, y = T([[0.05, 0.10]]), T([[0.01, 0.99]], False)
    W, b = T([[0.15, 0.20], [0.25, 0.30]]), T([0.35, 0.35])
    M, c = T([[0.40, 0.45], [0.50, 0.55]]), T([0.60, 0.60])
    z = x @ W.T + b; h = torch.sigmoid(z); u = h @ M.T + c; o = torch.sigmoid(u)
    E = 0.5 * ((o - y) ** 2).sum() / 1   # l2_loss: (1/N) sum_n 1/2 ||o_n - y_n||^2, N = 1
    v = dict(x=x, y=y, W=W, b=b, M=M, c=c, z=z, h=h, u=u, o=o, E=E)
    return run(v, "E", None, updates=["W", "b", "M", "c"], lr=0.5)


def reduce_sum_axes():
    x = T([[[1., 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]])
    v = dict(x=x, s=x.sum(dim=(0, 2), keepdim=True), r=x.sum(dim=1), t=x.sum())
    return run(v, "s", [[[1.], [2], [3]]])


def activations():
    xs = [-100., -30, -2, 0, 0.5, 3, 30, 80]
    ps = [1e-30, 1e-8, 0.25, 1, 2, 9, 1e8, 1e30]
    v = {k: T([xs]) for k in ["xt", "xe", "xn", "xi", "xr"]}
    v.update(pl=T([ps]), ps=T([ps]))
    v.update(t=torch.tanh(v["xt"]), e=torch.exp(v["xe"]), n=-v["xn"], i=v["xi"] * 1,
             r=torch.nn.functional.leaky_relu(v["xr"], 0.25), l=torch.log(v["pl"]), s=torch.sqrt(v["ps"]))
    v["J"] = v["t"] + v["e"] + v["n"] + v["i"] + v["r"] + v["l"] + v["s"]
    return run(v, "J", [[1., 2, -1, 3, 0.5, -2, 1, 1]])


failed = 0
for name, f in [("sigmoid", sigmoid), ("sigmoid-network", sigmoid_network), ("reduce-sum-axes", reduce_sum_axes), ("activations", activations)]:
    ref, checked = f(), 0
    for line in (root / "specs" / "golden" / f"{name}.trace.jsonl").read_text().splitlines():
        e = json.loads(line)
        key = (e["phase"], e["name"])
        if key not in ref:
            print(f"{name}: {key} is not recomputed here"); failed += 1; continue
        want = ref[key].flatten().tolist()
        got = [float(g) for g in e["values"]]
        if len(got) != len(want):
            print(f"{name}: {key}: {len(got)} values, torch has {len(want)}"); failed += 1; continue
        for i, (g, w) in enumerate(zip(got, want)):
            if not (g == w or abs(g - w) <= 1e-12 * abs(w) + 1e-300):
                print(f"{name}: {key}[{i}]: golden {g!r}, torch {w!r}"); failed += 1
        checked += len(got)
    print(f"{name}: {checked} values compared")
print("all equal" if failed == 0 else f"{failed} differences")
sys.exit(1 if failed else 0)
