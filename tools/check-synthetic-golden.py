#!/usr/bin/python3
"""Recomputes specs/synthetic-teacher.yaml with numpy, independently of NetSpec: the synthetic
samples (teacher first, then training and test samples, from NetSpec's documented generator,
re-implemented in tools/netspec_rng.py), 30 epochs of mini-batch SGD on a linear softmax
classifier from zero weights with the per-epoch permutations, and compares every epoch's train
loss and accuracy and the test metrics with specs/golden/synthetic-teacher.trace.jsonl."""
import json, os, sys
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netspec_rng import Rng  # noqa: E402

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
M64 = (1 << 64) - 1
F, C, N, NT, SEED = 8, 3, 600, 200, 7
rng = Rng(SEED)
T = np.array([rng.normal() for _ in range(F * C)]).reshape(F, C)
def draw(n):
    X = np.array([[rng.normal() for _ in range(F)] for _ in range(n)])
    return X, np.eye(C)[np.argmax(X @ T, axis=1)]
Xtr, Ytr = draw(N)
Xte, Yte = draw(NT)
W = np.zeros((C, F)); b = np.zeros(C); lr, B = 0.5, 32

def loss(X, Y):
    o = X @ W.T + b
    m = o.max(1, keepdims=True)
    lse = np.log(np.exp(o - m).sum(1)) + m[:, 0]
    return lse - (o * Y).sum(1), o

mine = {}
for epoch in range(30):
    perm = Rng(0 ^ ((0x9E3779B97F4A7C15 * (epoch + 1)) & M64)).perm(N)
    tot, correct = 0.0, 0
    for s in range(0, N, B):
        idx = perm[s:s + B]; x, y = Xtr[idx], Ytr[idx]
        per, o = loss(x, y)
        tot += per.sum(); correct += int((o.argmax(1) == y.argmax(1)).sum())
        P = np.exp(o - o.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
        dO = (P - y) / len(idx)
        W -= lr * (dO.T @ x); b -= lr * dO.sum(0)
    mine[("train_loss", epoch + 1)] = tot / N
    mine[("train_accuracy", epoch + 1)] = correct / N
per, o = loss(Xte, Yte)
mine[("test_loss", 30)] = per.mean()
mine[("test_accuracy", 30)] = float((o.argmax(1) == Yte.argmax(1)).mean())

golden = [json.loads(l) for l in open(os.path.join(root, "specs/golden/synthetic-teacher.trace.jsonl")) if l.strip()]
errors = []
for e in golden:
    key = (e["name"], e["step"])
    if key not in mine:
        errors.append(f"golden has {key}, the recomputation does not"); continue
    g, w = e["values"][0], mine[key]
    if abs(g - w) > 1e-9 * max(1, abs(w)):
        errors.append(f"{key}: golden {g!r}, numpy {w!r}")
print(json.dumps({"checked": len(golden), "errors": errors[:10]}))
sys.exit(1 if errors else 0)
