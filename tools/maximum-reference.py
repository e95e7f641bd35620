#!/usr/bin/python3
"""Expected values of specs/maximum.yaml from PyTorch float64 autograd (torch.maximum),
independently of NetSpec: the forward values and the gradients of both inputs for the spec's
assumed upstream gradient, with a tie (where torch gives each input half) and a broadcast row.
Prints the expect: section's values; the spec holds them as printed."""
import torch

torch.set_default_dtype(torch.float64)
a = torch.tensor([[1.5, -2.0, 3.0], [0.25, 4.0, -1.0]], requires_grad=True)
b = torch.tensor([[2.0, -2.0, -3.0]], requires_grad=True)   # broadcast over the rows; a tie at [0][1]
g = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
y = torch.maximum(a, b)
y.backward(g)
print("y:", y.tolist())
print("a:", a.grad.tolist())
print("b:", b.grad.tolist())

# --check: every value of specs/golden/maximum.trace.jsonl against these torch values.
import json, os, sys
if "--check" in sys.argv:
    want = {("forward", "a"): a, ("forward", "b"): b, ("forward", "y"): y,
            ("backward", "y"): g, ("backward", "a"): a.grad, ("backward", "b"): b.grad}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "specs", "golden", "maximum.trace.jsonl")
    bad = checked = 0
    for line in open(path):
        ev = json.loads(line)
        w = want[(ev["phase"], ev["name"])].detach().reshape(-1).tolist()
        checked += len(w)
        if ev["values"] != w:
            print("differs:", line.strip()); bad += 1
    print(f"{checked} golden values, {'all equal to torch' if bad == 0 else f'{bad} lines differ'}")
    sys.exit(1 if bad else 0)
