#!/usr/bin/python3
"""Recomputes the golden trace of specs/lenet-digits.yaml (its per-epoch train loss and accuracy,
and the test loss and accuracy) with PyTorch 1.13, independently of NetSpec: the same network
(torch.nn.functional conv2d, max_pool2d, linear), the same initial values (NetSpec's uniform
initializer, U(low, high) from its documented generator, tools/netspec_rng.py), the same batches
(NetSpec's per-epoch permutation from (seed, epoch)), plain SGD lr 0.2, 40 epochs, batch 32.
The spec computes in float32, so torch does too (its own summation order): each loss is compared
to 1e-5 relative and each accuracy to 2 samples. Exit 1 on a difference."""
import csv, json, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
from netspec_rng import Rng

F = torch.nn.functional
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
M64 = (1 << 64) - 1
dt = torch.float32

def read(path):
    rows = list(csv.reader(open(os.path.join(root, "specs/data", path))))[1:]
    return (torch.tensor([[float(v) * 0.0625 for v in r[:64]] for r in rows], dtype=dt),
            torch.tensor([int(r[64]) for r in rows]))

X, Y = read("digits-train.csv"); Xt, Yt = read("digits-test.csv")

def uniform(seed, shape, bound):
    r = Rng(seed); n = 1
    for d in shape: n *= d
    return torch.tensor([-bound + 2 * bound * r.dbl() for _ in range(n)], dtype=torch.float64).to(dt).reshape(shape)

b1, b2, b3 = 1 / 3, 0.11785113019775792, 0.125
P = dict(K1=uniform(1, (8, 1, 3, 3), b1), k1=uniform(2, (8,), b1), K2=uniform(3, (16, 8, 3, 3), b2), k2=uniform(4, (16,), b2),
         W3=uniform(5, (64, 64), b3), b3=uniform(6, (64,), b3), W4=uniform(7, (10, 64), b3), b4=uniform(8, (10,), b3))
for t in P.values(): t.requires_grad_(True)

def net(x):
    h = F.relu(F.conv2d(x.reshape(-1, 1, 8, 8), P["K1"], P["k1"], padding=1))
    h = F.relu(F.conv2d(F.max_pool2d(h, 2), P["K2"], P["k2"]))
    h = F.relu(F.linear(h.flatten(1), P["W3"], P["b3"]))
    return F.linear(h, P["W4"], P["b4"])

metrics = {}
n = X.shape[0]
for epoch in range(40):
    order = Rng(0 ^ ((0x9E3779B97F4A7C15 * (epoch + 1)) & M64)).perm(n)
    loss, correct = 0.0, 0
    for s in range(0, n, 32):
        idx = order[s:s + 32]
        o = net(X[idx]); J = F.cross_entropy(o, Y[idx])
        for t in P.values(): t.grad = None
        J.backward()
        with torch.no_grad():
            for t in P.values(): t -= 0.2 * t.grad
        loss += float(J) * len(idx); correct += int((o.argmax(1) == Y[idx]).sum())
    metrics[(epoch + 1, "train_loss")] = loss / n; metrics[(epoch + 1, "train_accuracy")] = correct / n
with torch.no_grad():
    loss, correct = 0.0, 0
    for s in range(0, Xt.shape[0], 32):
        o = net(Xt[s:s + 32]); loss += float(F.cross_entropy(o, Yt[s:s + 32])) * o.shape[0]; correct += int((o.argmax(1) == Yt[s:s + 32]).sum())
    metrics[(40, "test_loss")] = loss / Xt.shape[0]; metrics[(40, "test_accuracy")] = correct / Xt.shape[0]

failed = checked = 0
worst = 0.0
for line in open(os.path.join(root, "specs/golden/lenet-digits.trace.jsonl")):
    ev = json.loads(line); key = (ev["step"], ev["name"]); got = ev["values"][0]
    if key not in metrics:
        print(f"golden line not recomputed: {line.strip()[:100]}"); failed += 1; continue
    want = metrics[key]; checked += 1
    if key[1].endswith("accuracy"):
        rows = n if key[1].startswith("train") else Xt.shape[0]
        ok = abs(got - want) * rows <= 2.5
    else:
        worst = max(worst, abs(got - want) / max(1.0, abs(want))); ok = abs(got - want) <= 1e-5 * max(1.0, abs(want))
    if not ok: print(f"{key}: NetSpec {got!r}, torch {want!r}"); failed += 1
print(f"{checked} values compared, worst loss difference {worst:.2e} relative; test accuracy torch {metrics[(40, 'test_accuracy')]:.4f}; "
      + ("all within tolerance" if failed == 0 else f"{failed} differences"))
sys.exit(1 if failed else 0)
