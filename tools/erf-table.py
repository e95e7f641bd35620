#!/usr/bin/env python3
"""Writes tests/NetSpec.Tests/Kernels/erf-table.csv: erf(x), erfc(x) and erf'(x) for a dense grid of x,
computed with mpmath at 60 significant digits and rounded once to float64 (repr, the shortest
round-trip decimal), independently of NetSpec. Python's math.erf / math.erfc (the C library's)
are printed beside them as a second opinion; the table holds mpmath's values.

The grid: every multiple of 1/64 in [-6, 6] (the core, where erf moves), every multiple of 1/8
in (6, 27.5] and its negative (erfc's tail down to its underflow near 26.55, and subnormals
beyond), the cut points of the Cephes approximation (|x| = 1 and 8) and their neighbours, and
tiny and odd values (1e-300, 1e-20, 1e-8, 0.1, pi, 8/3, ...).

It also writes tests/NetSpec.Tests/Kernels/expm1-log1p-table.csv: e^x - 1 and ln(1 + x) from
mpmath at 60 digits, for x = +-10^k (k = -300, -30, -16, -10, -8, -5, -3, -1), +-0.5, +-1, 2, 10, 50
and the multiples of 1/16 in [-1, 1] (ln(1 + x) only where x > -1).

    /usr/bin/python3 tools/erf-table.py      # rewrites the tables; run from the repository root
"""
import math, pathlib
import mpmath

mpmath.mp.dps = 60
xs = set()
for k in range(-6 * 64, 6 * 64 + 1):
    xs.add(k / 64)
for k in range(6 * 8 + 1, int(27.5 * 8) + 1):
    xs.add(k / 8); xs.add(-k / 8)
for c in [1.0, 8.0]:
    for x in [c, math.nextafter(c, 0), math.nextafter(c, 10), c - 1e-9, c + 1e-9]:
        xs.add(x); xs.add(-x)
for x in [1e-300, 5e-324, 1e-20, 1e-8, 3e-5, 0.1, 0.3, 2 / 3, math.pi, 8 / 3, 5.5, 10.1, 12.34, 26.5, 26.6, 27.2]:
    xs.add(x); xs.add(-x)
rows, worst = [], {"erf": 0.0, "erfc": 0.0}
for x in sorted(xs):
    e = float(mpmath.erf(mpmath.mpf(x)))
    c = float(mpmath.erfc(mpmath.mpf(x)))
    d = float(2 / mpmath.sqrt(mpmath.pi) * mpmath.exp(-mpmath.mpf(x) ** 2))
    for name, libm, ref in [("erf", math.erf(x), e), ("erfc", math.erfc(x), c)]:
        if ref != 0 and math.isfinite(ref) and abs(ref) > 2.2250738585072014e-308:
            worst[name] = max(worst[name], abs(libm - ref) / abs(ref))
    rows.append(f"{x!r},{e!r},{c!r},{d!r}")
out = pathlib.Path("tests/NetSpec.Tests/Kernels/erf-table.csv")
out.write_text("# x,erf(x),erfc(x),erf'(x) = 2/sqrt(pi) exp(-x^2): mpmath 1.2 at 60 digits rounded to float64 (tools/erf-table.py)\n" + "\n".join(rows) + "\n")
print(f"{len(rows)} rows written to {out}; math.erf / math.erfc relative to mpmath: {worst['erf']:.3g} / {worst['erfc']:.3g}")

ys = set()
for k in [-300, -30, -16, -10, -8, -5, -3, -1]:
    ys.add(10.0 ** k); ys.add(-(10.0 ** k))
for x in [0.5, -0.5, 1.0, -1.0, 2.0, 10.0, 50.0, 0.0]:
    ys.add(x)
for k in range(-16, 17):
    ys.add(k / 16)
rows = []
for x in sorted(ys):
    e = float(mpmath.expm1(mpmath.mpf(x)))
    l = float(mpmath.log1p(mpmath.mpf(x))) if x > -1 else float("nan")
    rows.append(f"{x!r},{e!r},{l!r}")
out = pathlib.Path("tests/NetSpec.Tests/Kernels/expm1-log1p-table.csv")
out.write_text("# x,expm1(x),log1p(x): mpmath 1.2 at 60 digits rounded to float64, nan where log1p is undefined (tools/erf-table.py)\n" + "\n".join(rows) + "\n")
print(f"{len(rows)} rows written to {out}")
