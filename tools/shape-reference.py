#!/usr/bin/env python3
"""Independent reference for specs/shape-ops.yaml: torch 1.13 in float64, no NetSpec code.

The spec's network, written with torch's own functions (each NetSpec attribute mapped by hand
to torch's form, as docs/ops.md describes):
  img = x.reshape(2, 1, 2, 3)                      reshape shape [0, 1, 2, 3] (0 copies x's batch, 2)
  hw  = img.permute(0, 1, 3, 2)                    transpose perm [0, 1, 3, 2]
  pd  = F.pad(hw, (0, 1, 1, 0), value=0.5)         pad pads [0, 0, 1, 0, 0, 0, 0, 1]: ONNX's begins (N, C, H, W)
                                                   then ends; torch lists (W begin, W end, H begin, H end)
  f   = torch.flatten(pd, 1)                       flatten (axis 1)
  s   = pd.mean(dim=(2, 3), keepdim=True)          reduce_mean axes [2, 3], keepdims
  sf  = torch.flatten(s, 1)                        flatten
  r   = x.mean(dim=1, keepdim=True)                reduce_mean axes [1], keepdims
  c   = torch.cat([f, x, sf, r], dim=1)            concat axis 1
  m   = c.mean()                                   reduce_mean (every axis), forward only
and backward from c with the assumed gradient g (torch.autograd: c.backward(g)).

    /usr/bin/python3 tools/shape-reference.py          prints the spec's expected values
    /usr/bin/python3 tools/shape-reference.py --check  compares every value of
                                                       specs/golden/shape-ops.trace.jsonl (1e-15 relative)
"""
import json, pathlib, sys
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
root = pathlib.Path(__file__).resolve().parent.parent

x = torch.tensor([[1., 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]], requires_grad=True)
g = torch.tensor([[1., 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 12, 6],
                  [2., 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 24, 12]])

img = x.reshape(2, 1, 2, 3)
hw = img.permute(0, 1, 3, 2)
pd = F.pad(hw, (0, 1, 1, 0), value=0.5)
f = torch.flatten(pd, 1)
s = pd.mean(dim=(2, 3), keepdim=True)
sf = torch.flatten(s, 1)
r = x.mean(dim=1, keepdim=True)
c = torch.cat([f, x, sf, r], dim=1)
m = c.mean()
values = dict(x=x, img=img, hw=hw, pd=pd, f=f, s=s, sf=sf, r=r, c=c, m=m)
for t in values.values():
    if not t.is_leaf:
        t.retain_grad()
c.backward(g)


def lists(t):
    return json.dumps(t.detach().tolist()).replace(",", ", ").replace(",  ", ", ")


if "--check" not in sys.argv:
    for n, t in values.items():
        print(f"forward {n} {list(t.shape)}: {lists(t)}")
    for n, t in values.items():
        if t.grad is not None:
            print(f"gradient {n}: {lists(t.grad)}")
    sys.exit(0)

failed = checked = 0
for line in (root / "specs" / "golden" / "shape-ops.trace.jsonl").read_text().splitlines():
    e = json.loads(line)
    name = e["name"]
    if name not in values:
        print(f"{(e['phase'], name)} is not recomputed here"); failed += 1; continue
    t = values[name].detach() if e["phase"] == "forward" else values[name].grad
    if e["phase"] not in ("forward", "backward") or t is None:
        print(f"{(e['phase'], name)} is not recomputed here"); failed += 1; continue
    if list(e["shape"]) != list(t.shape):
        print(f"{(e['phase'], name)}: shape {e['shape']}, torch {list(t.shape)}"); failed += 1; continue
    want = t.flatten().tolist()
    got = [float(v) for v in e["values"]]
    for i, (a, w) in enumerate(zip(got, want)):
        if not (a == w or abs(a - w) <= 1e-15 * abs(w)):
            print(f"{(e['phase'], name)}[{i}]: golden {a!r}, torch {w!r}"); failed += 1
    checked += len(got)
print(f"shape-ops: {checked} values compared, " + ("all equal" if failed == 0 else f"{failed} differences"))
sys.exit(1 if failed else 0)
