# Independent reference for specs/batch-norm.yaml, specs/batch-norm-eval.yaml, specs/layer-norm.yaml
# and specs/dropout.yaml: torch 1.13 in float64 (torch.nn.BatchNorm1d/2d, torch.nn.functional.layer_norm,
# torch.autograd; no NetSpec code). Run with /usr/bin/python3 tools/norm-reference.py; it prints each
# spec's `expect:` values (with --check-goldens it then also recomputes every value of their golden traces, see the end) (repr: shortest round-trip float64), which the specs carry as printed.
#
# Each spec's objective is J = Σ reduce_sum(y ⊙ w) over its outputs y with fixed weights w, so
# dJ/dy = w. The optimizer is sgd with learning rate 0.1: p* = p - 0.1 dJ/dp after each step.
#  - batch-norm: two steps in training mode (batch statistics; running = 0.9 running + 0.1 batch, the
#    variance's unbiased); forward and gradients at step 1, forward at step 2 (after the update of the
#    scale and bias), the parameters and running statistics after both steps.
#  - batch-norm-eval: one step in evaluation mode (running statistics, which stay as they are).
#  - dropout: NetSpec's mask (tools/netspec_rng.py, the documented counter-based generator, not torch's)
#    applied the torch way, y = x * (mask / (1 - p)) as torch's dropout does with its own mask; the
#    script also checks that torch's dropout with that mask substituted (torch.nn.functional.dropout
#    = input * bernoulli_(1 - p) / (1 - p)) gives the same values, by applying the formula to the
#    mask through torch ops and autograd.
import os, sys
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netspec_rng
torch.set_default_dtype(torch.float64)
T = torch.tensor

def flat(t): return [float(v) for v in t.detach().reshape(-1)]
def nested(t):
    t = t.detach()
    if t.dim() == 0: return float(t)
    return [nested(r) for r in t]
def show(label, t): print(f"    {label}: {fmt(nested(t))}")
def fmt(v): return repr(v) if not isinstance(v, list) else "[" + ", ".join(fmt(x) for x in v) + "]"

# ---- batch_norm, training mode --------------------------------------------------------------------
x1 = T([[1.0, 2.0, -1.0], [0.5, -3.0, 2.0], [2.0, 1.0, 0.0], [-1.0, 4.0, 3.0]], requires_grad=True)
w1 = T([[1.0, -1.0, 0.5], [2.0, 0.5, -1.0], [-0.5, 1.0, 1.0], [1.5, -2.0, 0.25]])
x2 = T([[[[1.0, -2.0], [0.5, 3.0]], [[0.0, 1.0], [2.0, -1.0]]],
        [[[-1.5, 0.25], [2.0, 1.0]], [[4.0, -3.0], [0.5, 1.5]]]], requires_grad=True)
w2 = T([[[[1.0, 0.5], [-1.0, 2.0]], [[0.5, -0.5], [1.0, 1.0]]],
        [[[-2.0, 1.0], [0.25, -1.0]], [[1.0, 2.0], [-1.0, 0.5]]]])
def bn_modules():
    bn1 = torch.nn.BatchNorm1d(3, eps=1e-5, momentum=0.1)
    bn2 = torch.nn.BatchNorm2d(2, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        bn1.weight.copy_(T([1.0, 0.5, 2.0])); bn1.bias.copy_(T([0.0, 1.0, -1.0]))
        bn1.running_mean.copy_(T([0.0, 1.0, -0.5])); bn1.running_var.copy_(T([1.0, 2.0, 0.5]))
        bn2.weight.copy_(T([1.5, -1.0])); bn2.bias.copy_(T([0.5, 0.0]))
        bn2.running_mean.copy_(T([0.25, -0.5])); bn2.running_var.copy_(T([1.0, 3.0]))
    return bn1, bn2

print("# batch-norm.yaml (training mode, two steps)")
bn1, bn2 = bn_modules()
bn1.train(); bn2.train()
for step in (1, 2):
    for p in list(bn1.parameters()) + list(bn2.parameters()) + [x1, x2]:
        p.grad = None
    y1, y2 = bn1(x1), bn2(x2)
    J = (y1 * w1).sum() + (y2 * w2).sum()
    J.backward()
    print(f"  step {step} forward:")
    show("y1", y1); show("y2", y2); show("s1", (y1 * w1).sum()); show("J", J)
    if step == 1:
        print("  step 1 gradients:")
        show("x1", x1.grad); show("g1", bn1.weight.grad); show("b1", bn1.bias.grad)
        show("x2", x2.grad); show("g2", bn2.weight.grad); show("b2", bn2.bias.grad)
    with torch.no_grad():
        for p in list(bn1.parameters()) + list(bn2.parameters()):
            p -= 0.1 * p.grad
print("  updated (after step 2):")
show("g1", bn1.weight); show("b1", bn1.bias); show("rm1", bn1.running_mean); show("rv1", bn1.running_var)
show("g2", bn2.weight); show("b2", bn2.bias); show("rm2", bn2.running_mean); show("rv2", bn2.running_var)

# ---- batch_norm, evaluation mode ------------------------------------------------------------------
print("# batch-norm-eval.yaml (evaluation mode, one step)")
bn1, bn2 = bn_modules()
bn1.eval(); bn2.eval()
x1.grad = None; x2.grad = None
y1, y2 = bn1(x1), bn2(x2)
J = (y1 * w1).sum() + (y2 * w2).sum()
J.backward()
show("y1", y1); show("y2", y2); show("J", J)
show("dx1", x1.grad); show("dg1", bn1.weight.grad); show("db1", bn1.bias.grad)
show("dx2", x2.grad); show("dg2", bn2.weight.grad); show("db2", bn2.bias.grad)
assert torch.equal(bn1.running_mean, T([0.0, 1.0, -0.5])) and torch.equal(bn2.running_var, T([1.0, 3.0]))

# ---- layer_norm -----------------------------------------------------------------------------------
print("# layer-norm.yaml")
xa = T([[1.0, 2.0, -1.0, 0.5], [3.0, -2.0, 0.0, 4.0], [1.0, 2.0, 3.0, -4.0]], requires_grad=True)
wa = T([1.0, -0.5, 2.0, 0.25], requires_grad=True)
ba = T([0.0, 1.0, -1.0, 0.5], requires_grad=True)
ga = T([[1.0, 2.0, -1.0, 0.5], [0.5, -1.0, 1.0, 2.0], [-2.0, 1.0, 0.5, 1.0]])
xb = T([[[1.0, -1.0, 2.0], [0.5, 3.0, -2.0]], [[0.0, 0.25, 1.0], [4.0, -3.0, 2.0]]], requires_grad=True)
gb = T([[[1.0, 0.5, -1.0], [2.0, -0.5, 1.0]], [[-1.0, 1.0, 0.5], [0.25, 2.0, -2.0]]])
ya = torch.nn.functional.layer_norm(xa, (4,), wa, ba, eps=1e-5)
yb = torch.nn.functional.layer_norm(xb, (2, 3), None, None, eps=0.125)   # axis 1, no affine, epsilon 0.125 (exact in float32)
J = (ya * ga).sum() + (yb * gb).sum()
J.backward()
show("ya", ya); show("yb", yb); show("J", J)
show("xa", xa.grad); show("wa", wa.grad); show("ba", ba.grad); show("xb", xb.grad)

# ---- dropout --------------------------------------------------------------------------------------
print("# dropout.yaml (training mode, two steps)")
xd = T([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
W = T([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5], [0.25, 1.5, 1.0], [-2.0, 0.5, 0.75]], requires_grad=True)
bvec = T([0.1, -0.2, 0.3, 0.0], requires_grad=True)
gd = T([[1.0, 2.0, -1.0, 0.5], [-0.5, 1.0, 3.0, 2.0]])
p = 0.4
for step in (1, 2):
    W.grad = None; bvec.grad = None
    z = xd @ W.T + bvec
    mask = T(netspec_rng.dropout_mask(3, "d", step, z.numel(), p)).reshape(z.shape)
    d = z * (mask / (1 - p))                      # torch's dropout: input * (bernoulli / (1 - p))
    # torch.nn.functional.dropout with its generator replaced by the mask: the same formula through
    # torch's own kernel (torch._fused_dropout is CUDA-only; on CPU dropout is exactly this product).
    ref = torch.nn.functional.dropout(z.detach(), p=0.0) * mask / (1 - p)
    assert torch.equal(d.detach(), ref)
    J = (d * gd).sum()
    J.backward()
    print(f"  step {step} forward:")
    show("mask", mask); show("z", z); show("d", d); show("J", J)
    if step == 1:
        print("  step 1 gradients:")
        show("W", W.grad); show("b", bvec.grad)
    with torch.no_grad():
        W -= 0.1 * W.grad; bvec -= 0.1 * bvec.grad
print("  updated (after step 2):")
show("W", W); show("b", bvec)


# ---- golden traces ------------------------------------------------------------------------------
# With --check-goldens: every value of specs/golden/{batch-norm,batch-norm-eval,layer-norm,dropout}
# .trace.jsonl recomputed here with torch float64 (forward values, side values such as y1.mean and
# d.mask, the running statistics after each forward pass, every dJ/d, every update's old value,
# gradient and new value), keyed by (phase, step, name, op); relative 1e-12. An unrecognised line fails.
import json, pathlib
F = torch.nn.functional

def recorder():
    ref = {}
    def fw(step, name, op, t): ref[("forward", step, name, op)] = {"values": flat(t)}
    def bw(step, name, t): ref[("backward", step, name)] = {"values": flat(t)}
    def up(step, name, old, grad, new): ref[("update", step, name)] = {"old": flat(old), "grad": flat(grad), "values": flat(new)}
    return ref, fw, bw, up

def leaf(v): return T(v, requires_grad=True) if not isinstance(v, torch.Tensor) else v.detach().clone().requires_grad_(True)

def golden_batch_norm(training, steps):
    ref, fw, bw, up = recorder()
    data = dict(x1=x1.detach(), w1=w1, x2=x2.detach(), w2=w2)
    prm = dict(g1=T([1.0, 0.5, 2.0]), b1=T([0.0, 1.0, -1.0]), g2=T([1.5, -1.0]), b2=T([0.5, 0.0]))
    state = dict(rm1=T([0.0, 1.0, -0.5]), rv1=T([1.0, 2.0, 0.5]), rm2=T([0.25, -0.5]), rv2=T([1.0, 3.0]))
    for step in range(1, steps + 1):
        d = {k: leaf(v) for k, v in data.items()}
        p = {k: leaf(v) for k, v in prm.items()}
        for k, v in d.items(): fw(step, k, "data", v)
        for k in ["g1", "b1", "rm1", "rv1", "g2", "b2", "rm2", "rv2"]:
            fw(step, k, "parameter", p[k] if k in p else state[k])
        ys = {}
        for i, (dims) in ((1, (0,)), (2, (0, 2, 3))):
            x = d[f"x{i}"]
            y = F.batch_norm(x, state[f"rm{i}"], state[f"rv{i}"], p[f"g{i}"], p[f"b{i}"], training=training, momentum=0.1, eps=1e-5)
            y.retain_grad(); ys[f"y{i}"] = y
            fw(step, f"y{i}", "batch_norm", y)
            if training:
                fw(step, f"y{i}.mean", "batch_norm", x.mean(dim=dims))
                fw(step, f"y{i}.var", "batch_norm", x.var(dim=dims, unbiased=False))
                fw(step, f"rm{i}", "state", state[f"rm{i}"]); fw(step, f"rv{i}", "state", state[f"rv{i}"])
        p1 = ys["y1"] * d["w1"]; p2 = ys["y2"] * d["w2"]; s1 = p1.sum(); s2 = p2.sum(); J = s1 + s2
        for n, t, op in (("p1", p1, "mul"), ("p2", p2, "mul"), ("s1", s1, "reduce_sum"), ("s2", s2, "reduce_sum"), ("J", J, "sum")):
            t.retain_grad(); fw(step, n, op, t)
        J.backward()
        for n, t in (("J", J), ("s2", s2), ("s1", s1), ("p2", p2), ("p1", p1), ("y2", ys["y2"]), ("y1", ys["y1"])): bw(step, n, t.grad)
        for k, v in list(d.items()) + list(p.items()): bw(step, k, v.grad)
        if steps > 1 or training:
            for k in ["g1", "b1", "g2", "b2"]:
                new = (p[k] - 0.1 * p[k].grad).detach()
                up(step, k, p[k], p[k].grad, new); prm[k] = new
    return ref

def golden_layer_norm():
    ref, fw, bw, up = recorder()
    d = dict(xa=leaf(xa), ga=leaf(ga), xb=leaf(xb), gb=leaf(gb)); p = dict(wa=leaf(wa), ba=leaf(ba))
    for k, v in d.items(): fw(1, k, "data", v)
    for k, v in p.items(): fw(1, k, "parameter", v)
    ya_ = F.layer_norm(d["xa"], (4,), p["wa"], p["ba"], eps=1e-5); yb_ = F.layer_norm(d["xb"], (2, 3), None, None, eps=0.125)
    pa = ya_ * d["ga"]; pb = yb_ * d["gb"]; sa = pa.sum(); sb = pb.sum(); J = sa + sb
    nodes = (("ya", ya_, "layer_norm"), ("yb", yb_, "layer_norm"), ("pa", pa, "mul"), ("pb", pb, "mul"), ("sa", sa, "reduce_sum"), ("sb", sb, "reduce_sum"), ("J", J, "sum"))
    for n, t, op in nodes: t.retain_grad(); fw(1, n, op, t)
    J.backward()
    for n, t, _ in nodes: bw(1, n, t.grad)
    for k, v in list(d.items()) + list(p.items()): bw(1, k, v.grad)
    return ref

def golden_dropout():
    ref, fw, bw, up = recorder()
    prm = dict(W=T([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5], [0.25, 1.5, 1.0], [-2.0, 0.5, 0.75]]), b=T([0.1, -0.2, 0.3, 0.0]))
    for step in (1, 2):
        d = dict(x=leaf(xd), g=leaf(gd)); p = {k: leaf(v) for k, v in prm.items()}
        for k, v in d.items(): fw(step, k, "data", v)
        for k, v in p.items(): fw(step, k, "parameter", v)
        z = d["x"] @ p["W"].T + p["b"]
        mask = T(netspec_rng.dropout_mask(3, "d", step, z.numel(), 0.4)).reshape(z.shape)
        dd = z * (mask / (1 - 0.4)); m = dd * d["g"]; J = m.sum()
        nodes = (("z", z, "linear"), ("d", dd, "dropout"), ("m", m, "mul"), ("J", J, "reduce_sum"))
        for n, t, op in nodes:
            t.retain_grad(); fw(step, n, op, t)
            if n == "d": fw(step, "d.mask", "dropout", mask)
        J.backward()
        for n, t, _ in nodes: bw(step, n, t.grad)
        for k, v in list(d.items()) + list(p.items()): bw(step, k, v.grad)
        for k in ["W", "b"]:
            new = (p[k] - 0.1 * p[k].grad).detach(); up(step, k, p[k], p[k].grad, new); prm[k] = new
    return ref

if "--check-goldens" in sys.argv:
    root = pathlib.Path(__file__).resolve().parent.parent
    failed = 0
    for name, ref in (("batch-norm", golden_batch_norm(True, 2)), ("batch-norm-eval", golden_batch_norm(False, 1)),
                      ("layer-norm", golden_layer_norm()), ("dropout", golden_dropout())):
        checked = 0
        for line in (root / "specs" / "golden" / f"{name}.trace.jsonl").read_text().splitlines():
            e = json.loads(line)
            key = (e["phase"], e["step"], e["name"], e["op"]) if e["phase"] == "forward" else (e["phase"], e["step"], e["name"])
            if key not in ref:
                print(f"{name}: {key} is not recomputed here"); failed += 1; continue
            for field, want in ref[key].items():
                got = [float(v) for v in e[field]]
                if len(got) != len(want):
                    print(f"{name}: {key} {field}: {len(got)} values, torch has {len(want)}"); failed += 1; continue
                for i, (g, w) in enumerate(zip(got, want)):
                    if not (g == w or abs(g - w) <= 1e-12 * abs(w) + 1e-300):
                        print(f"{name}: {key} {field}[{i}]: golden {g!r}, torch {w!r}"); failed += 1
                checked += len(got)
        print(f"{name}: {checked} golden values compared")
    print("all equal" if failed == 0 else f"{failed} differences")
    sys.exit(1 if failed else 0)
