#!/usr/bin/python3
"""Recomputes step 1 of specs/iris.yaml with numpy, independently of NetSpec: the seeded split,
standardization with training statistics, He-normal initial weights, the epoch-0 permutation,
the forward pass of the first batch and the first Adam update; compares with the golden trace."""
import csv, json, math, os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netspec_rng import Rng  # noqa: E402

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
M64 = (1 << 64) - 1
rows = list(csv.reader(open(os.path.join(root, "specs/data/iris.csv"))))[1:]
X = np.array([[float(v) for v in r[:4]] for r in rows]); lab = [r[4] for r in rows]
cls = sorted(set(lab)); y = np.array([cls.index(l) for l in lab])
p = Rng(1).perm(150); tr = sorted(p[60:])                       # split seed 1: test 30, validation 30
mu = X[tr].mean(0); sd = X[tr].std(0); Z = (X - mu) / sd
Xtr = Z[tr]; Ytr = np.eye(3)[y[tr]]
def he(seed, shape):
    r = Rng(seed); n = shape[0] * shape[1]
    return np.array([math.sqrt(2 / shape[1]) * r.normal() for _ in range(n)]).reshape(shape)
W = he(1, (16, 4)); M = he(2, (3, 16)); b = np.zeros(16); c = np.zeros(3); lam = 0.01
perm = Rng(0 ^ ((0x9E3779B97F4A7C15 * 1) & M64)).perm(90)        # training seed 0, epoch 0
xb = Xtr[perm[:16]]; yb = Ytr[perm[:16]]
z = xb @ W.T + b; h = np.maximum(z, 0); o = h @ M.T + c
m = o.max(1, keepdims=True); lse = np.log(np.exp(o - m).sum(1)) + m[:, 0]
L = np.mean(lse - (o * yb).sum(1)); J = L + lam / 2 * ((W ** 2).sum() + (M ** 2).sum())
P = np.exp(o - m); P /= P.sum(1, keepdims=True); dO = (P - yb) / 16
dM = dO.T @ h + lam * M; dZ = (dO @ M) * (z > 0); dW = dZ.T @ xb + lam * W
adam1 = lambda q, g: q - 0.01 * (0.1 * g / 0.1) / (np.sqrt(0.001 * g * g / 0.001) + 1e-8)
ev = [json.loads(l) for l in open(os.path.join(root, "specs/golden/iris.trace.jsonl"))]
get = lambda ph, n: np.array([e for e in ev if e["phase"] == ph and e["name"] == n][0]["values"])
worst = 0.0
for ph, name, val in [("forward", "x", xb), ("forward", "z", z), ("forward", "o", o), ("forward", "L", L),
                      ("forward", "J", J), ("update", "W", adam1(W, dW)), ("update", "M", adam1(M, dM))]:
    d = float(np.max(np.abs(get(ph, name) - np.ravel(val)))); worst = max(worst, d)
    print(f"{ph} {name}: max |difference| {d:.3g}")
sys.exit(0 if worst < 1e-12 else 1)
