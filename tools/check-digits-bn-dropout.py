#!/usr/bin/python3
"""Recomputes the whole training run of specs/digits-bn-dropout.yaml with torch 1.13 in float64,
independently of NetSpec's code, from the documented definitions: the seeded validation split
(Rng(1) permutation, each part in file order), pixels times 0.0625, He-normal initial weights
(Rng(seed), Marsaglia polar normals), the per-epoch permutation Rng(seed ^ (γ · (epoch + 1))),
batches of 32 with a partial last one, torch.nn.functional.batch_norm (training: batch statistics,
running statistics by momentum 0.1 with the unbiased variance; evaluation: running statistics),
dropout with NetSpec's counter-based masks (tools/netspec_rng.py, the formula of docs/training.md)
applied as torch's dropout applies its mask, softmax cross-entropy averaged over the batch plus
lambda/2 Σ W², plain SGD 0.1 from torch.autograd. Compares every metric of
specs/golden/digits-bn-dropout.trace.jsonl (and, with a path, the parameters file a run wrote,
running statistics included) to 1e-9 relative.

    /usr/bin/python3 tools/check-digits-bn-dropout.py [specs/out/digits-bn-dropout.parameters.json]
"""
import csv, json, math, os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from netspec_rng import Rng, dropout_mask  # noqa: E402

torch.set_default_dtype(torch.float64)
F = torch.nn.functional
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
M64 = (1 << 64) - 1

def read(path):
    rows = list(csv.reader(open(os.path.join(root, "specs/data", path))))[1:]
    return torch.tensor([[float(v) * 0.0625 for v in r[:64]] for r in rows]), torch.tensor([int(r[64]) for r in rows])

X, Y = read("digits-train.csv"); Xt, Yt = read("digits-test.csv")
n = X.shape[0]
perm = Rng(1).perm(n); nval = max(1, int(math.floor(0.1 * n + 0.5)))
val = sorted(perm[:nval]); tr = sorted(perm[nval:])
Xv, Yv, Xtr, Ytr = X[val], Y[val], X[tr], Y[tr]

def he(seed, shape):
    r = Rng(seed)
    return torch.tensor([math.sqrt(2 / shape[1]) * r.normal() for _ in range(shape[0] * shape[1])]).reshape(shape)

P = dict(W1=he(1, (128, 64)), b1=torch.zeros(128), g1=torch.ones(128), be1=torch.zeros(128),
         W2=he(2, (64, 128)), b2=torch.zeros(64), g2=torch.ones(64), be2=torch.zeros(64),
         W3=he(3, (10, 64)), b3=torch.zeros(10))
S = dict(rm1=torch.zeros(128), rv1=torch.ones(128), rm2=torch.zeros(64), rv2=torch.ones(64))
for t in P.values(): t.requires_grad_(True)
lam, lr, p = 1e-4, 0.1, 0.2

def forward(x, y, training, step):
    def drop(h, name, seed):
        if not training: return h
        m = torch.tensor(dropout_mask(seed, name, step, h.numel(), p)).reshape(h.shape)
        return h * (m * (1 / (1 - p)))
    z1 = x @ P["W1"].T + P["b1"]
    h1 = drop(torch.relu(F.batch_norm(z1, S["rm1"], S["rv1"], P["g1"], P["be1"], training=training, momentum=0.1, eps=1e-5)), "d1", 1)
    z2 = h1 @ P["W2"].T + P["b2"]
    h2 = drop(torch.relu(F.batch_norm(z2, S["rm2"], S["rv2"], P["g2"], P["be2"], training=training, momentum=0.1, eps=1e-5)), "d2", 2)
    o = h2 @ P["W3"].T + P["b3"]
    J = F.cross_entropy(o, y) + lam / 2 * sum((P[k] ** 2).sum() for k in ("W1", "W2", "W3"))
    correct = int((o.argmax(1) == y).sum())   # torch's argmax takes the first maximum, as NetSpec
    return J, correct

def evaluate(x, y):
    loss, correct = 0.0, 0
    with torch.no_grad():
        for s in range(0, x.shape[0], 32):
            J, c = forward(x[s:s + 32], y[s:s + 32], False, 0)
            loss += float(J) * min(32, x.shape[0] - s); correct += c
    return loss / x.shape[0], correct / x.shape[0]

metrics, step = {}, 0
for epoch in range(20):
    order = Rng(0 ^ ((0x9E3779B97F4A7C15 * (epoch + 1)) & M64)).perm(len(tr))
    loss, correct = 0.0, 0
    for s in range(0, len(tr), 32):
        idx = order[s:s + 32]; step += 1
        J, c = forward(Xtr[idx], Ytr[idx], True, step)
        for t in P.values(): t.grad = None
        J.backward()
        with torch.no_grad():
            for t in P.values(): t -= lr * t.grad
        loss += float(J) * len(idx); correct += c
    e = epoch + 1
    metrics[(e, "train_loss")] = loss / len(tr); metrics[(e, "train_accuracy")] = correct / len(tr)
    metrics[(e, "validation_loss")], metrics[(e, "validation_accuracy")] = evaluate(Xv, Yv)
metrics[(20, "test_loss")], metrics[(20, "test_accuracy")] = evaluate(Xt, Yt)

failed = checked = 0
def compare(what, got, want):
    global failed, checked
    checked += 1
    if not (got == want or abs(got - want) <= 1e-9 * max(1.0, abs(want))):
        print(f"{what}: NetSpec {got!r}, torch {want!r}"); failed += 1
modes = {"train_loss": "train", "train_accuracy": "train"}
for line in open(os.path.join(root, "specs/golden/digits-bn-dropout.trace.jsonl")):
    ev = json.loads(line)
    key = (ev["step"], ev["name"])
    if ev["phase"] != "epoch" or key not in metrics:
        print(f"golden line not recomputed: {line.strip()[:100]}"); failed += 1; continue
    if ev.get("mode") != modes.get(ev["name"], "eval"):
        print(f"{key}: mode {ev.get('mode')}, expected {modes.get(ev['name'], 'eval')}"); failed += 1
    compare(f"epoch {key[0]} {key[1]}", ev["values"][0], metrics[key])
if len(sys.argv) > 1:
    saved = json.load(open(sys.argv[1]))["parameters"]
    for name, t in list(P.items()) + list(S.items()):
        got, want = saved[name]["values"], t.detach().reshape(-1).tolist()
        for i, (g, w) in enumerate(zip(got, want)):
            compare(f"{name}[{i}]", g, w)
print(f"test accuracy {metrics[(20, 'test_accuracy')]}; {checked} values compared, " + ("all equal" if failed == 0 else f"{failed} differences"))
sys.exit(1 if failed else 0)
