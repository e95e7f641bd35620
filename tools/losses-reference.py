#!/usr/bin/env python3
"""Independent reference for the loss specs (specs/losses.yaml, specs/logistic-regression.yaml,
specs/nll-loss.yaml, specs/cross-entropy-class-index.yaml): every value computed by PyTorch 1.13
in float64, forward by torch.nn.functional (mse_loss, binary_cross_entropy,
binary_cross_entropy_with_logits, log_softmax, nll_loss, cross_entropy) and gradients by
torch.autograd; no NetSpec code. Training steps are plain SGD written out here (p -= lr * grad).

    /usr/bin/python3 tools/losses-reference.py          # print the values the specs expect
    /usr/bin/python3 tools/losses-reference.py --check  # compare every value of their golden traces

--check reads specs/golden/NAME.trace.jsonl and compares every traced value (forward values,
gradients, updates: old value, gradient and new value) with the torch run: |golden - torch| <=
1e-12 |torch| + 1e-15. Every traced value must be recomputed here; an unrecognised one fails.
Values are printed with repr (shortest round-trip float64).
"""
import json, pathlib, sys
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
root = pathlib.Path(__file__).resolve().parent.parent


def T(v, grad=True):
    return torch.tensor(v, requires_grad=grad)


class Run:
    """A spec's values step by step, keyed as the trace keys them: (phase, step, name) -> list of floats."""

    def __init__(self):
        self.trace = {}

    def record(self, step, values, root_name, grad):
        """values: name -> tensor (leaves with requires_grad, or computed); backward from root_name with seed grad."""
        for t in values.values():
            if t.requires_grad and not t.is_leaf:
                t.retain_grad()
        r = values[root_name]
        r.backward(torch.ones_like(r) if grad is None else torch.tensor(grad))
        for n, t in values.items():
            self.trace[("forward", step, n)] = t.detach().flatten().tolist()
            if t.grad is not None:
                self.trace[("backward", step, n)] = t.grad.detach().flatten().tolist()

    def update(self, step, params, lr):
        with torch.no_grad():
            for n, p in params.items():
                old = p.detach().clone()
                g = p.grad.detach().clone()
                p -= lr * p.grad
                self.trace[("update", step, n)] = (old.flatten().tolist(), g.flatten().tolist(), p.detach().flatten().tolist())
                p.grad = None


def show(name, t):
    v = t.detach()
    print(f"  {name}: {v.tolist() if v.dim() else float(v)}")


# --- specs/losses.yaml: mse_loss, binary_cross_entropy, binary_cross_entropy_with_logits, log_softmax
def losses():
    v = dict(xm=T([[0.5, -1.25, 2], [3, 0, -0.75]]), ym=T([[1., -1, 2], [0, 0.5, 0.25]], False),
             pb=T([[0., 0.1, 0.5], [0.9, 1, 0.25]]), yb=T([[0., 1, 0.5], [1, 0, 0.8]], False),
             zl=T([[-1000., -2, 0], [0.5, 3, 1000]]), yl=T([[0., 1, 0.5], [1, 0, 0]], False),
             vl=T([[1000., 0, -1000], [1, 2, 3]]))
    for r in ["none", "mean", "sum"]:
        s = {"none": "n", "mean": "m", "sum": "s"}[r]
        v["M" + s] = F.mse_loss(v["xm"], v["ym"], reduction=r)
        v["B" + s] = F.binary_cross_entropy(v["pb"], v["yb"], reduction=r)
        v["L" + s] = F.binary_cross_entropy_with_logits(v["zl"], v["yl"], reduction=r)
    v["S"] = F.log_softmax(v["vl"], dim=-1)
    v["E"] = v["Mn"] + v["Bn"] + v["Ln"] + v["S"]                       # sum: [Mn, Bn, Ln, S]
    v["R"] = v["Mm"] + v["Ms"] + v["Bm"] + v["Bs"] + v["Lm"] + v["Ls"]  # sum of the six scalars
    v["J"] = v["E"] + v["R"]                                            # add (broadcast)
    run = Run()
    run.record(1, v, "J", [[1., 2, -1], [0.5, -2, 3]])
    return run, v, ["Mn", "Mm", "Ms", "Bn", "Bm", "Bs", "Ln", "Lm", "Ls", "S"], ["xm", "pb", "zl", "vl"]


# --- specs/logistic-regression.yaml: sigmoid + binary_cross_entropy, 5 SGD steps
def logistic_regression():
    x = T([[0.5, 1.5], [1., 1], [2, 0.5], [3, 2], [-1, 0.5], [0.2, -1]])
    y = T([[1.], [0], [1], [1], [0], [0]], False)
    W, b = T([[0.1, -0.2]]), T([0.])
    run = Run()
    first = None
    for step in range(1, 6):
        z = x @ W.T + b
        p = torch.sigmoid(z)
        L = F.binary_cross_entropy(p, y)
        Lz = F.binary_cross_entropy_with_logits(z, y)   # forward only: the same loss from the logits
        v = dict(x=x, y=y, W=W, b=b, z=z, p=p, L=L, Lz=Lz)
        run.record(step, v, "L", None)
        if step == 1:
            first = {n: (t.detach().clone(), None if t.grad is None else t.grad.detach().clone()) for n, t in v.items()}
        run.update(step, {"W": W, "b": b}, 0.5)
        x.grad = None
    return run, first, W, b


# --- specs/nll-loss.yaml: log_softmax + nll_loss (class weights, ignore_index), N x C x d1
def nll():
    z = T([[1., 2, 0.5], [0, -1, 3], [2, 2, 2], [-0.5, 1.5, 0]])
    y1 = torch.tensor([2, 0, 1, -100])
    w = T([0.2, 1, 3], False)
    x3 = T([[[-0.5, -1.2], [-1.5, -0.3], [-2.0, -2.5]], [[-0.1, -3.0], [-2.2, -0.7], [-1.0, -0.05]]])
    y3 = torch.tensor([[0, 1], [2, 1]])
    w3 = T([0.5, 2, 1.5], False)
    v = dict(z=z, x3=x3)
    v["lp"] = F.log_softmax(z, dim=-1)
    v["N1"] = F.nll_loss(v["lp"], y1, weight=w)                                # weighted mean, -100 ignored
    v["N2"] = F.nll_loss(x3, y3, ignore_index=1, reduction="none")
    v["N3"] = F.nll_loss(x3, y3, weight=w3, reduction="sum")
    v["R"] = v["N1"] + v["N3"]
    v["J"] = v["N2"] + v["R"]
    run = Run()
    run.record(1, v, "J", [[1., -2], [0.5, 3]])
    # the labels and weights are data and parameters of the spec without gradients
    run.trace[("forward", 1, "y1")] = y1.double().tolist()
    run.trace[("forward", 1, "y3")] = y3.double().flatten().tolist()
    run.trace[("forward", 1, "w")] = w.tolist()
    run.trace[("forward", 1, "w3")] = w3.tolist()
    return run, v


def main():
    check = "--check" in sys.argv[1:]
    runs = {}

    run, v, fwd, grads = losses()
    runs["losses"] = run
    if not check:
        print("specs/losses.yaml")
        for n in fwd + ["R"]:
            show(n, v[n])
        for n in grads:
            show("d" + n, v[n].grad)

    run, v = nll()
    runs["nll-loss"] = run
    if not check:
        print("specs/nll-loss.yaml")
        for n in ["lp", "N1", "N2", "N3", "R"]:
            show(n, v[n])
        for n in ["z", "x3"]:
            show("d" + n, v[n].grad)

    run, first, W, b = logistic_regression()
    runs["logistic-regression"] = run
    if not check:
        print("specs/logistic-regression.yaml (step 1, then after 5 steps)")
        for n in ["z", "p", "L", "Lz"]:
            show(n, first[n][0])
        for n in ["W", "b", "x"]:
            show("d" + n, first[n][1])
        show("W after 5", W)
        show("b after 5", b)
        return 0

    failed = 0
    for name, run in runs.items():
        checked = 0
        path = root / "specs" / "golden" / f"{name}.trace.jsonl"
        for line in path.read_text().splitlines():
            e = json.loads(line)
            key = (e["phase"], e["step"], e["name"])
            if key not in run.trace:
                print(f"{name}: {key} is not recomputed here"); failed += 1; continue
            ref = run.trace[key]
            pairs = [(e["values"], ref)] if e["phase"] != "update" else [(e["old"], ref[0]), (e["grad"], ref[1]), (e["values"], ref[2])]
            for got, want in pairs:
                if len(got) != len(want):
                    print(f"{name}: {key}: {len(got)} values, torch has {len(want)}"); failed += 1; continue
                for i, (g, w) in enumerate(zip(got, want)):
                    g = float(g)
                    if not (g == w or abs(g - w) <= 1e-12 * abs(w) + 1e-15):
                        print(f"{name}: {key}[{i}]: golden {g!r}, torch {w!r}"); failed += 1
                checked += len(got)
        print(f"{name}: {checked} values compared")
    print("all equal" if failed == 0 else f"{failed} differences")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
