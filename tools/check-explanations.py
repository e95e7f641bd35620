#!/usr/bin/env python3
"""Checks the arithmetic of NetSpec's explanations independently of NetSpec.

Reads explanation text files (specs/golden/NAME.explain.txt, written by `netspec run SPEC
--explain --quiet`; tools/update-explanations.sh) and re-does every line's arithmetic with
Python floats. No NetSpec code is used: the text notation is parsed here.

A line `lhs = e1 = e2 = ... = value` (sides joined by " = ", or " ≈ " before a number shown
rounded) is checked when its last side is a number and at least one other side is pure
arithmetic in the text notation:

  numbers 24, -4, 0.9933071, 1.5e-7;  a + b, a - b, -a;  products (1)(10), (2)log(x), a · b;
  a / b;  powers e^(10 - 10), e^-5, (1 - 0.5)^2;  √(x);  functions log, ln, exp, max, min, abs,
  relu, relu', σ / sigmoid, tanh, erf;  parentheses. (softplus, gelu, elu, leaky_relu carry
  parameters the text does not show: sides using them are skipped.)

A side naming a value (z_1, dJ/dz_1, W*_11, a matrix [..; ..]) is not arithmetic and is skipped.

Each arithmetic side is evaluated in interval arithmetic: every number shown with D significant
digits (D from the file's header) may be a rounded value, so it stands for [x - h, x + h], h half
a unit of its D-th digit; a float32 spec (said in the header) also widens every number and every
operation by float32 rounding (2^-23 relative). The side checks when its interval contains the
last side: the number itself after " = " (it is the exact value, up to float32 rounding), or the
number widened by its own half unit after " ≈ ".

The " ≈ " rule: " ≈ " may only stand before a number (or matrix); and a line whose arithmetic
sides hold only whole numbers and + - products / whole powers is evaluated exactly (fractions):
there " = " may stand before the last number only when the exact value equals it (else rounding
happened and " ≈ " is due), and " ≈ " not before a number with decimals the exact value equals
(a whole number shown may itself be a rounded 0.99999994, so "(1)(1) ≈ 1" is allowed).

Usage: tools/check-explanations.py [FILES...]    (default: specs/golden/*.explain.txt)
       tools/check-explanations.py --self-test   (shows the checker catching wrong lines)
Prints the number of lines checked; exits 1 when a line is wrong (each named with file:line).
"""

import glob
import math
import os
import re
import sys
from fractions import Fraction

F32 = 2.0 ** -23
F64 = 2.0 ** -50


class NotArithmetic(Exception):
    """The side names values or uses notation that is not arithmetic."""


TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d+)?(?:e-?\d+)?)|(?P<name>[A-Za-zσ_][A-Za-z0-9_']*)|(?P<op>[-+/·×⊙^(),√]))")


def tokenize(text):
    pos, out = 0, []
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise NotArithmetic(text[pos:])
        pos = m.end()
        if m.group("num") is not None:
            out.append(("num", m.group("num")))
        elif m.group("name") is not None:
            out.append(("name", m.group("name")))
        else:
            out.append(("op", m.group("op")))
    return out


def half_unit(text, digits):
    """Half a unit of the D-th significant digit of the number shown as text (0 for 0)."""
    v = float(text)
    if v == 0:
        return 0.0
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(v))) - digits + 1)


class Interval:
    __slots__ = ("lo", "hi")

    def __init__(self, lo, hi=None):
        self.lo, self.hi = lo, lo if hi is None else hi

    def __repr__(self):
        return f"[{self.lo!r}, {self.hi!r}]"


def widen(iv, rel):
    m = max(abs(iv.lo), abs(iv.hi))
    return Interval(iv.lo - m * rel, iv.hi + m * rel)


def monotone(f, iv, increasing=True):
    a, b = f(iv.lo), f(iv.hi)
    return Interval(min(a, b), max(a, b)) if increasing else Interval(min(a, b), max(a, b))


def sigmoid(v):
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


FUNCTIONS = {
    "log": math.log, "ln": math.log, "exp": math.exp, "tanh": math.tanh, "erf": math.erf,
    "relu": lambda v: max(v, 0.0), "σ": sigmoid, "sigmoid": sigmoid, "sqrt": math.sqrt,
}
# Not evaluated: softplus(x) (its beta and threshold are not in the text), gelu, elu, leaky_relu
# (their parameters neither); a side using them is skipped like a symbol.


class Parser:
    """Recursive descent over the text notation, evaluating intervals (or exact fractions)."""

    def __init__(self, tokens, digits, single, exact):
        self.t, self.i, self.digits, self.single, self.exact = tokens, 0, digits, single, exact
        self.rel = F32 if single else F64

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else (None, None)

    def take(self, kind=None, value=None):
        k, v = self.peek()
        if k is None or (kind and k != kind) or (value and v != value):
            raise NotArithmetic(f"expected {value or kind}")
        self.i += 1
        return v

    def parse(self):
        v = self.expr()
        if self.i != len(self.t):
            raise NotArithmetic("trailing tokens")
        return v

    # ---- arithmetic on intervals or fractions ----
    def op(self, o, a, b):
        if self.exact:
            if o == "+": return a + b
            if o == "-": return a - b
            if o == "*": return a * b
            if o == "/":
                if b == 0: raise NotArithmetic("division by 0")
                return a / b
        if o == "+": r = Interval(a.lo + b.lo, a.hi + b.hi)
        elif o == "-": r = Interval(a.lo - b.hi, a.hi - b.lo)
        elif o == "*":
            p = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
            r = Interval(min(p), max(p))
        else:
            if b.lo <= 0 <= b.hi: raise NotArithmetic("division by an interval holding 0")
            p = [a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi]
            r = Interval(min(p), max(p))
        return widen(r, self.rel)

    def neg(self, a):
        return -a if self.exact else Interval(-a.hi, -a.lo)

    def call(self, name, args):
        if self.exact:
            if name == "max": return max(args)
            if name == "min": return min(args)
            if name == "abs" and len(args) == 1: return abs(args[0])
            if name == "relu" and len(args) == 1: return max(args[0], Fraction(0))
            raise NotArithmetic("not exact: " + name)
        if name in ("max", "min"):
            f = max if name == "max" else min
            return Interval(f(a.lo for a in args), f(a.hi for a in args))
        if len(args) != 1:
            raise NotArithmetic(name)
        a = args[0]
        if name == "abs":
            if a.lo >= 0: r = a
            elif a.hi <= 0: r = Interval(-a.hi, -a.lo)
            else: r = Interval(0.0, max(-a.lo, a.hi))
        elif name == "relu'":
            r = Interval(0.0 if a.lo <= 0 else 1.0, 1.0 if a.hi > 0 else 0.0)
        elif name in FUNCTIONS:
            try:
                lo, hi = FUNCTIONS[name](a.lo), FUNCTIONS[name](a.hi)
            except (ValueError, OverflowError):
                raise NotArithmetic(f"{name} outside its domain")
            r = Interval(min(lo, hi), max(lo, hi))
        else:
            raise NotArithmetic("unknown function " + name)
        return widen(r, self.rel)

    def power(self, b, e):
        if self.exact:
            if isinstance(e, Fraction) and e.denominator == 1 and abs(e.numerator) <= 64:
                if b == 0 and e < 0: raise NotArithmetic("0 to a negative power")
                return b ** int(e)
            raise NotArithmetic("not exact: power")
        if isinstance(b, str):  # e^x
            return self.call("exp", [e])
        if e.lo == e.hi and float(e.lo).is_integer():
            n = int(e.lo)
            cands = [b.lo ** n, b.hi ** n]
            if n % 2 == 0 and b.lo < 0 < b.hi: cands.append(0.0)
            return widen(Interval(min(cands), max(cands)), self.rel)
        if b.lo <= 0:
            raise NotArithmetic("power of a non-positive base")
        c = [b.lo ** e.lo, b.lo ** e.hi, b.hi ** e.lo, b.hi ** e.hi]
        return widen(Interval(min(c), max(c)), self.rel)

    # ---- grammar ----
    def expr(self):
        v = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            o = self.take()
            v = self.op(o, v, self.term())
        return v

    def starts_primary(self):
        k, v = self.peek()
        return (k == "op" and v in ("(", "√")) or k == "name"

    def term(self):
        v = self.unary()
        while True:
            k, o = self.peek()
            if k == "op" and o in ("·", "×", "⊙"):
                self.take()
                v = self.op("*", v, self.unary())
            elif k == "op" and o == "/":
                self.take()
                v = self.op("/", v, self.unary())
            elif self.starts_primary():
                v = self.op("*", v, self.power_expr())
            else:
                return v

    def unary(self):
        if self.peek() == ("op", "-"):
            self.take()
            return self.neg(self.unary())
        return self.power_expr()

    def power_expr(self):
        base = self.primary()
        if self.peek() == ("op", "^"):
            self.take()
            if self.peek() == ("op", "-"):
                self.take()
                e = self.neg(self.primary())
            else:
                e = self.primary()
            return self.power(base, e)
        if isinstance(base, str):
            raise NotArithmetic("e alone")
        return base

    def primary(self):
        k, v = self.peek()
        if k == "num":
            self.take()
            if self.exact:
                if not re.fullmatch(r"\d+", v): raise NotArithmetic("not whole")
                return Fraction(int(v))
            x = float(v)
            h = half_unit(v, self.digits)
            if self.single: h = max(h, abs(x) * F32)
            return Interval(x - h, x + h)
        if k == "op" and v == "(":
            self.take()
            r = self.expr()
            self.take("op", ")")
            return r
        if k == "op" and v == "√":
            self.take()
            self.take("op", "(")
            r = self.expr()
            self.take("op", ")")
            if self.exact: raise NotArithmetic("not exact: root")
            if r.lo < 0: raise NotArithmetic("root of a negative")
            return widen(Interval(math.sqrt(r.lo), math.sqrt(r.hi)), self.rel)
        if k == "name":
            self.take()
            if v == "e" and self.peek() == ("op", "^"):
                if self.exact: raise NotArithmetic("not exact: e")
                return "e"
            if self.peek() != ("op", "("):
                raise NotArithmetic("a symbol: " + v)
            self.take()
            args = [self.expr()]
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.expr())
            self.take("op", ")")
            return self.call(v, args)
        raise NotArithmetic(f"unexpected {v}")


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
SEPARATOR = re.compile(r" (=|≈) ")


def split_sides(line):
    """The sides of an equation and the separators between them (none at top-level parentheses only)."""
    parts, seps, depth, start, i = [], [], 0, 0, 0
    while i < len(line):
        c = line[i]
        if c in "([": depth += 1
        elif c in ")]": depth -= 1
        elif depth == 0:
            m = SEPARATOR.match(line, i)
            if m:
                parts.append(line[start:i])
                seps.append(m.group(1))
                i = start = m.end()
                continue
        i += 1
    parts.append(line[start:])
    return parts, seps


def evaluate(side, digits, single, exact):
    return Parser(tokenize(side), digits, single, exact).parse()


def check_line(line, digits, single):
    """None when the line is not checked; else a list of problems (empty: the line is right)."""
    text = line.strip()
    if not text or text.startswith("(") or " = " not in text and " ≈ " not in text:
        return None
    sides, seps = split_sides(text)
    if len(sides) < 2:
        return None
    last = sides[-1].strip()
    problems = []
    for k, sep in enumerate(seps):
        if sep == "≈" and not (NUMBER.fullmatch(sides[k + 1].strip()) or sides[k + 1].strip().startswith("[")):
            problems.append(f"≈ before '{sides[k + 1].strip()}', which is not a number")
    if not NUMBER.fullmatch(last):
        return problems or None
    value, rounded = float(last), seps[-1] == "≈"
    h = half_unit(last, digits) if rounded else 0.0
    if single:
        h += abs(value) * F32
    checked = False
    for side in sides[1:-1]:
        try:
            iv = evaluate(side, digits, single, exact=False)
        except NotArithmetic:
            continue
        except (OverflowError, ZeroDivisionError, ValueError):
            continue
        checked = True
        if not (iv.lo - h <= value <= iv.hi + h):
            mid = (iv.lo + iv.hi) / 2
            problems.append(f"'{side.strip()}' is {mid:.10g} (in [{iv.lo:.10g}, {iv.hi:.10g}]), not {last}")
        try:
            exact = evaluate(side, digits, single, exact=True)
        except (NotArithmetic, ZeroDivisionError, OverflowError):
            continue
        shown = Fraction(last) if "e" not in last else Fraction(float(last))
        if exact == shown and rounded and shown.denominator != 1:
            problems.append(f"'{side.strip()}' is exactly {last}: '≈' where no rounding happened")
        if exact != shown and not rounded and not single:
            problems.append(f"'{side.strip()}' is exactly {float(exact)!r}, shown as {last} with '='")
    if not checked and not problems:
        return None
    return problems


def header(lines):
    digits, single = 7, False
    for line in lines[:6]:
        m = re.search(r"show (\d+) significant digits", line)
        if m: digits = int(m.group(1))
        if "computes in float32" in line: single = True
    return digits, single


def check_file(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    digits, single = header(lines)
    checked, failures = 0, []
    for n, line in enumerate(lines, 1):
        # Only the indented lines are arithmetic (not the header, the step and block titles).
        r = check_line(line, digits, single) if line.startswith("      ") else None
        if r is None: continue
        checked += 1
        if r: failures.append(f"{path}:{n}: {line.strip()}" + "".join(f"\n    {p}" for p in r))
    return checked, failures


SELF_TEST = [
    # (line, should pass) -- hand arithmetic, the notes' own slips among them.
    ("z_1 = (1)(10) + (2)(5) + 4 = 24", True),
    ("o_2 = (3)(24) + (4)(47) + (1)(86) + 1 = 347", True),
    ("o_2 = (3)(24) + (4)(47) + (1)(86) + 1 = 441", False),                 # the notes' 441 for 347
    ("o_1 = e^(10 - 10) / (e^(10 - 10) + e^(5 - 10)) = 1 / (1 + e^-5) ≈ 0.9933071", True),
    ("o_1 = e^(10 - 10) / (e^(10 - 10) + e^(5 - 10)) ≈ 0.985", False),      # the notes' 0.985 for 0.993
    ("L = -((1)log(0.9933071) + (0)log(0.006692851)) ≈ 0.006715348", True),
    ("L = -((1)log(0.9933071) + (0)log(0.006692851)) ≈ 0.006815348", False),
    ("W*_11 = 1 - (0.001)(20.1) = 0.9799", True),
    ("S = (1 / 4)(1 + 2 + 3 + 4) = 2.5", True),
    ("S = (1 / 4)(1 + 2 + 3 + 4) ≈ 2.5", False),                            # ≈ where nothing was rounded
    ("S = (1 / 3)(1 + 2 + 2) = 1.666667", False),                           # = where rounding happened
    ("y = √(4 + 0) ≈ 2", True),
    ("h_1 = relu(-4) = 0", True),
    ("d = max(1.5, 2) = 1.5", False),
]


def self_test():
    bad = 0
    for line, ok in SELF_TEST:
        r = check_line(line, 7, False)
        passed = r is not None and not r
        verdict = "passes" if passed else "FAILS: " + ("; ".join(r) if r else "not checked")
        print(f"  {'ok ' if passed == ok else 'BAD'} {line}\n      {verdict}")
        if passed != ok: bad += 1
    print(f"self-test: {len(SELF_TEST) - bad} of {len(SELF_TEST)} lines judged as expected")
    return 1 if bad else 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = argv[1:] or sorted(glob.glob(os.path.join(root, "specs", "golden", "*.explain.txt")))
    if not files:
        print("check-explanations: no explanation files found", file=sys.stderr)
        return 2
    total, failures = 0, []
    for path in files:
        c, f = check_file(path)
        total += c
        failures += f
    for f in failures: print(f)
    print(f"check-explanations: {total} lines checked in {len(files)} files, {len(failures)} wrong")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
