#!/usr/bin/python3
"""Expected values of specs/frozen-bias.yaml from PyTorch float64 autograd, independently of
NetSpec: a 2-3-2 network (linear, sigmoid, linear, softmax cross-entropy averaged over a batch
of two) trained for 3 steps of SGD with momentum 0.9 (torch.optim.SGD: v = mu v + g,
p = p - alpha v). The hidden bias b is frozen: it keeps requires_grad, so autograd computes
dJ/db as NetSpec must, but it is left out of the optimizer's parameter list (torch's way of
freezing a parameter whose gradient you still want; Keras' trainable = False, Caffe's
lr_mult 0 update nothing either). Prints the values the spec's expect: section holds, at
steps 1 and 3.

    /usr/bin/python3 tools/frozen-bias-reference.py           # the expected values
    /usr/bin/python3 tools/frozen-bias-reference.py --check   # also every value of the golden trace

--check compares every value of specs/golden/frozen-bias.trace.jsonl (the spec traces steps 1
and 3 only) with these torch values: relative 1e-13 (absolute 1e-15 near zero), and fails on a
traced value it does not recompute or on a missing step.
"""
import json, math, os, sys
import torch

torch.set_default_dtype(torch.float64)
T = lambda v, g=True: torch.tensor(v, requires_grad=g)

x = T([[0.5, -1.0], [1.5, 2.0]])        # requires_grad: NetSpec traces dJ/dx too
y = T([[1.0, 0.0], [0.0, 1.0]], False)
W = T([[0.2, -0.4], [0.7, 0.1], [-0.3, 0.5]])
b = T([0.1, -0.2, 0.3])                  # frozen: not in the optimizer's list below
M = T([[0.6, -0.1, 0.2], [-0.5, 0.4, 0.3]])
c = T([0.05, -0.05])
alpha, mu, steps = 0.5, 0.9, 3
opt = torch.optim.SGD([W, M, c], lr=alpha, momentum=mu)

trace = {}   # (phase, step, name) -> flat list
for step in range(1, steps + 1):
    z = x @ W.T + b; h = torch.sigmoid(z); o = h @ M.T + c
    L = torch.nn.functional.cross_entropy(o, y)   # mean over the batch, probabilities as targets
    for t in (z, h, o, L):
        t.retain_grad()
    opt.zero_grad(); b.grad = None; x.grad = None
    L.backward()
    fwd = dict(x=x, y=y, W=W, b=b, M=M, c=c, z=z, h=h, o=o, L=L)
    bwd = dict(L=L.grad, o=o.grad, h=h.grad, z=z.grad, x=x.grad, W=W.grad, b=b.grad, M=M.grad, c=c.grad)
    for n, t in fwd.items(): trace[("forward", step, n)] = t.detach().reshape(-1).tolist()
    for n, t in bwd.items(): trace[("backward", step, n)] = t.detach().reshape(-1).tolist()
    old = {n: p.detach().clone() for n, p in dict(W=W, b=b, M=M, c=c).items()}
    grads = {n: p.grad.detach().clone() for n, p in dict(W=W, b=b, M=M, c=c).items()}
    opt.step()
    for n, p in dict(W=W, b=b, M=M, c=c).items():
        trace[("update", step, n)] = p.detach().reshape(-1).tolist()
        trace[("old", step, n)] = old[n].reshape(-1).tolist()
        trace[("grad", step, n)] = grads[n].reshape(-1).tolist()
    if step in (1, 3):
        print(f"step {step}:")
        print(f"  forward L: {L.item()!r}")
        print(f"  forward o: {o.tolist()!r}")
        print(f"  gradient b: {b.grad.tolist()!r}")
        print(f"  gradient W: {W.grad.tolist()!r}")
        print(f"  updated W: {W.tolist()!r}")
        print(f"  updated b: {b.tolist()!r}")
        print(f"  updated c: {c.tolist()!r}")
assert b.tolist() == [0.1, -0.2, 0.3], "the frozen bias moved"

if "--check" in sys.argv:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "specs", "golden", "frozen-bias.trace.jsonl")
    close = lambda a, e: abs(a - e) <= 1e-15 + 1e-13 * abs(e)
    bad = checked = 0
    seen = set()
    for line in open(path):
        ev = json.loads(line)
        key = (ev["phase"], ev["step"], ev["name"])
        seen.add(ev["step"])
        parts = [(ev["values"], trace[key])]
        if ev["phase"] == "update":
            parts += [(ev["old"], trace[("old", ev["step"], ev["name"])]), (ev["grad"], trace[("grad", ev["step"], ev["name"])])]
        for got, want in parts:
            checked += len(want)
            if len(got) != len(want) or not all(close(a, e) for a, e in zip(got, want)):
                print("differs:", line.strip(), "torch:", want); bad += 1
    if seen != {1, 3}:
        print(f"traced steps {sorted(seen)}, expected [1, 3]"); bad += 1
    print(f"{checked} golden values at steps {sorted(seen)}, {'all within 1e-13 of torch' if bad == 0 else f'{bad} lines differ'}")
    sys.exit(1 if bad else 0)
