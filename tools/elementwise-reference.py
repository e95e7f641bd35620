#!/usr/bin/env python3
"""Independent reference for specs/elementwise.yaml (gelu, softplus, erf, div) and specs/elu.yaml
(no NetSpec code). Each op has its own input row; J is the element-wise sum of the rows and
dJ/dJ = g, so each input's gradient is g times that op's own derivative.

Every value is computed twice:
  * exactly, with mpmath at 50 digits (forward from the definitions, gradients by mpmath.diff,
    numerical differentiation at 50 digits, of the branch the point lies in: elu at 0 takes the
    x <= 0 branch, alpha (e^x - 1), and softplus at beta x = threshold the ln branch, as PyTorch);
  * with torch 1.13 in float64 (forward, and torch.autograd for the gradients).
The spec's expected values are mpmath's, rounded once to float64 (repr: the shortest round-trip
decimal). Torch must agree with them to 1e-15 * max(1, |value|), the specs' tolerance; where
PyTorch's own formula loses relative digits (elu's exp(x) - 1 near 0, gelu's 1 + erf(x/sqrt 2)
for large negative x) the script lists the relative differences, which stay below the tolerance.

    /usr/bin/python3 tools/elementwise-reference.py            # prints the values for the specs
    /usr/bin/python3 tools/elementwise-reference.py --check    # also compares specs/golden/{elementwise,elu}.trace.jsonl

--check recomputes every value of the two golden traces (forward and backward) and requires it
to equal mpmath's to 1e-13 relative (1e-300 absolute).
"""
import json, math, pathlib, sys
import mpmath
import torch

mpmath.mp.dps = 50
torch.set_default_dtype(torch.float64)
root = pathlib.Path(__file__).resolve().parent.parent
mpf = mpmath.mpf

G12 = [1.0, 2.0, -1.0, 3.0, 0.5, -2.0, 1.0, 1.0, -1.5, 0.25, 2.0, -1.0]
ROWS = {
    # name: (inputs, exact forward f(x) -> mpf, branch(x) -> function for mpmath.diff, torch function)
    "gelu": [-40.0, -10.0, -8.0, -3.0, -0.75, -1e-8, 0.0, 0.5, 1.0, 3.0, 8.5, 40.0],
    "gelu_tanh": [-40.0, -10.0, -8.0, -3.0, -0.75, -1e-8, 0.0, 0.5, 1.0, 3.0, 8.5, 40.0],
    "softplus": [-50.0, -20.0, -1.0, 0.0, 1e-8, 1.0, 5.0, 19.5, 19.99, 20.01, 21.0, 50.0],
    "softplus_b2": [-50.0, -10.0, -1.0, 0.0, 0.25, 1.0, 5.0, 9.5, 9.99, 10.01, 11.0, 50.0],
    "erf": [-30.0, -6.0, -1.0, -0.5, -1e-10, 0.0, 1e-10, 0.3, 1.0, 2.0, 5.5, 30.0],
    "elu": [-50.0, -10.0, -1.0, -1e-5, -1e-10, -1e-300, 0.0, 1e-10, 0.5, 1.0, 3.0, 50.0],
    "elu_a05": [-50.0, -10.0, -1.0, -1e-5, -1e-10, -1e-300, 0.0, 1e-10, 0.5, 1.0, 3.0, 50.0],
}
DIV_A = [1.0, -3.0, 7.0, 0.5, -1e-8, 0.0, 2.0, 50.0, -1.0, 6.0, 1e-20, 3.0]
DIV_B = [4.0, 2.0, -7.0, 0.1, 3.0, -5.0, 0.01, 0.2, 100.0, -0.75, 3.0, 1.0 / 3.0]
DIV_C = [1.0, -3.0, 7.0, 0.5, -1e-8, 0.0, 2.0, 100.0, -1.0, 6.0, 1e-20, 3.0]
DIV_S = -0.4


def beta_t():
    return mpmath.sqrt(2 / mpmath.pi)


KAPPA = mpf("0.044715")


def exact(name):
    """(f for the forward, branch(x) -> the differentiable function of the point's branch)."""
    if name == "gelu":
        f = lambda x: x / 2 * mpmath.erfc(-x / mpmath.sqrt(2))
        return f, lambda x: f
    if name == "gelu_tanh":
        f = lambda x: x / 2 * (1 + mpmath.tanh(beta_t() * (x + KAPPA * x ** 3)))
        return f, lambda x: f
    if name in ("softplus", "softplus_b2"):
        beta, thr = (1, 20) if name == "softplus" else (2, 20)
        soft = lambda x: mpmath.log1p(mpmath.exp(beta * x)) / beta
        lin = lambda x: x
        branch = lambda x: lin if beta * x > thr else soft
        return (lambda x: branch(x)(x)), branch
    if name == "erf":
        return mpmath.erf, lambda x: mpmath.erf
    if name in ("elu", "elu_a05"):
        alpha = 1 if name == "elu" else mpf("0.5")
        neg = lambda x: alpha * mpmath.expm1(x)
        branch = lambda x: (lambda t: t) if x > 0 else neg
        return (lambda x: branch(x)(x)), branch
    raise KeyError(name)


def torch_fn(name):
    F = torch.nn.functional
    return {
        "gelu": lambda t: F.gelu(t),
        "gelu_tanh": lambda t: F.gelu(t, approximate="tanh"),
        "softplus": lambda t: F.softplus(t),
        "softplus_b2": lambda t: F.softplus(t, beta=2, threshold=20),
        "erf": torch.erf,
        "elu": lambda t: F.elu(t),
        "elu_a05": lambda t: F.elu(t, alpha=0.5),
    }[name]


def reference():
    """name -> (y exact, dx exact, y torch, dx torch), all lists of floats; plus the div rows."""
    out = {}
    for name, xs in ROWS.items():
        f, branch = exact(name)
        y = [float(f(mpf(x))) for x in xs]
        d = [float(mpf(g) * mpmath.diff(branch(mpf(x)), mpf(x))) for x, g in zip(xs, G12)]
        t = torch.tensor(xs, requires_grad=True)
        ty = torch_fn(name)(t)
        ty.backward(torch.tensor(G12))
        out[name] = (y, d, [float(v) for v in ty.detach()], [float(v) for v in t.grad])
    # q = a / b, element by element; r = c / s with the scalar s broadcast.
    y = [float(mpf(a) / mpf(b)) for a, b in zip(DIV_A, DIV_B)]
    da = [float(mpf(g) / mpf(b)) for g, b in zip(G12, DIV_B)]
    db = [float(-mpf(g) * mpf(a) / mpf(b) ** 2) for g, a, b in zip(G12, DIV_A, DIV_B)]
    a, b = torch.tensor(DIV_A, requires_grad=True), torch.tensor(DIV_B, requires_grad=True)
    (a / b).backward(torch.tensor(G12))
    out["div"] = (y, da, [float(v) for v in (a / b).detach()], [float(v) for v in a.grad])
    out["div_b"] = (y, db, None, [float(v) for v in b.grad])
    r = [float(mpf(c) / mpf(DIV_S)) for c in DIV_C]
    dc = [float(mpf(g) / mpf(DIV_S)) for g in G12]
    ds = float(sum(-mpf(g) * mpf(c) / mpf(DIV_S) ** 2 for g, c in zip(G12, DIV_C)))
    c, s = torch.tensor(DIV_C, requires_grad=True), torch.tensor(DIV_S, requires_grad=True)
    (c / s).backward(torch.tensor(G12))
    out["div_s"] = (r, dc, [float(v) for v in (c / s).detach()], [float(v) for v in c.grad])
    out["div_ss"] = ([DIV_S], [ds], None, [float(s.grad)])
    return out


def agree(ref, got, tol):
    return all(g == w or abs(g - w) <= tol * max(1, abs(w)) for g, w in zip(got, ref))


def main():
    ref = reference()
    bad = 0
    for name, (y, d, ty, td) in ref.items():
        if ty is not None and not agree(y, ty, 1e-15):
            print(f"!! {name}: torch's forward differs from mpmath: {ty} vs {y}"); bad += 1
        if not agree(d, td, 1e-15):
            print(f"!! {name}: torch's gradient differs from mpmath: {td} vs {d}"); bad += 1
        pairs = (list(zip(ty, y)) if ty is not None else []) + list(zip(td, d))
        rel = [abs(t - e) / abs(e) for t, e in pairs if e != 0 and t != e]
        print(f"{name} y {y}")
        print(f"{name} dx {d}")
        if rel and max(rel) > 1e-15:
            print(f"#   torch differs in relative terms by up to {max(rel):.2g} (within 1e-15 absolute)")
    # For tests/NetSpec.Tests/Runtime/ElementwiseFunctionOpTests.cs: softplus exactly at its threshold
    # (beta x = threshold takes the ln branch, as PyTorch's), where finite differences cannot be used.
    for beta, x in [(1, 20.0), (2, 10.0)]:
        f = lambda t: mpmath.log1p(mpmath.exp(beta * t)) / beta
        t = torch.tensor([x], requires_grad=True)
        torch.nn.functional.softplus(t, beta=beta, threshold=20).backward(torch.tensor([1.0]))
        print(f"softplus beta {beta} at x = {x}: y {float(f(mpf(x)))!r} dy/dx {float(mpmath.diff(f, mpf(x)))!r} (torch {float(t.grad)!r})")
    if "--check" in sys.argv:
        bad += check(ref)
    sys.exit(1 if bad else 0)


def check(ref):
    """Every value of the two golden traces against mpmath's, 1e-13 relative."""
    wanted = {
        "elementwise": {
            ("forward", "xg"): ROWS["gelu"], ("forward", "xt"): ROWS["gelu_tanh"], ("forward", "xs"): ROWS["softplus"],
            ("forward", "xb"): ROWS["softplus_b2"], ("forward", "xf"): ROWS["erf"], ("forward", "a"): DIV_A,
            ("forward", "b"): DIV_B, ("forward", "c"): DIV_C, ("forward", "s"): [DIV_S],
            ("forward", "g"): ref["gelu"][0], ("forward", "t"): ref["gelu_tanh"][0], ("forward", "p"): ref["softplus"][0],
            ("forward", "pb"): ref["softplus_b2"][0], ("forward", "f"): ref["erf"][0], ("forward", "q"): ref["div"][0],
            ("forward", "r"): ref["div_s"][0],
            ("backward", "xg"): ref["gelu"][1], ("backward", "xt"): ref["gelu_tanh"][1], ("backward", "xs"): ref["softplus"][1],
            ("backward", "xb"): ref["softplus_b2"][1], ("backward", "xf"): ref["erf"][1], ("backward", "a"): ref["div"][1],
            ("backward", "b"): ref["div_b"][1], ("backward", "c"): ref["div_s"][1], ("backward", "s"): ref["div_ss"][1],
            ("backward", "J"): G12, ("backward", "g"): G12, ("backward", "t"): G12, ("backward", "p"): G12,
            ("backward", "pb"): G12, ("backward", "f"): G12, ("backward", "q"): G12, ("backward", "r"): G12,
        },
        "elu": {
            ("forward", "xe"): ROWS["elu"], ("forward", "xa"): ROWS["elu_a05"],
            ("forward", "e"): ref["elu"][0], ("forward", "ea"): ref["elu_a05"][0],
            ("backward", "xe"): ref["elu"][1], ("backward", "xa"): ref["elu_a05"][1],
            ("backward", "J"): G12, ("backward", "e"): G12, ("backward", "ea"): G12,
        },
    }
    # J itself: the element-wise sum of the rows, exactly.
    rows = ["gelu", "gelu_tanh", "softplus", "softplus_b2", "erf", "div", "div_s"]
    wanted["elementwise"][("forward", "J")] = [float(sum(mpf(ref[k][0][i]) for k in rows)) for i in range(12)]
    wanted["elu"][("forward", "J")] = [float(mpf(ref["elu"][0][i]) + mpf(ref["elu_a05"][0][i])) for i in range(12)]
    failed = 0
    for spec, want in wanted.items():
        seen, checked = set(), 0
        for line in (root / "specs" / "golden" / f"{spec}.trace.jsonl").read_text().splitlines():
            e = json.loads(line)
            key = (e["phase"], e["name"])
            if key not in want:
                print(f"{spec}: {key} is not recomputed here"); failed += 1; continue
            seen.add(key)
            got = [float(v) for v in e["values"]]
            w = want[key]
            if len(got) != len(w):
                print(f"{spec}: {key}: {len(got)} values, the reference has {len(w)}"); failed += 1; continue
            for i, (g, x) in enumerate(zip(got, w)):
                if not (g == x or abs(g - x) <= 1e-13 * abs(x) + 1e-300):
                    print(f"{spec}: {key}[{i}]: golden {g!r}, mpmath {x!r}"); failed += 1
            checked += len(got)
        for key in set(want) - seen:
            print(f"{spec}: {key} is missing from the golden trace"); failed += 1
        print(f"{spec}: {checked} golden values compared with mpmath")
    print("all equal" if failed == 0 else f"{failed} differences")
    return failed


if __name__ == "__main__":
    main()
