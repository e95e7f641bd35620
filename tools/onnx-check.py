#!/usr/bin/env python3
"""Checks ONNX models with the onnx package's own checker and shape inference.

For each model file given: onnx.checker.check_model(model, full_check=True), then
onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True), which fails when a
node's inputs do not fit its op's type and shape rules or an inferred shape contradicts a declared
one. Prints one line per file ("ok FILE" or "FAIL FILE: reason"), then a summary; exits 1 when any
file fails, 2 when the onnx package is missing (python3-onnx on Debian).

    python3 tools/onnx-check.py model.onnx [more.onnx ...]
"""
import sys

try:
    import onnx
    import onnx.checker
    import onnx.shape_inference
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"the onnx package is not installed ({e}); Debian: apt-get install python3-onnx", file=sys.stderr)
    sys.exit(2)


def check(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    # Every graph output keeps its declared element type and rank after inference.
    for declared, out in zip(model.graph.output, inferred.graph.output):
        a, b = declared.type.tensor_type, out.type.tensor_type
        if a.elem_type != b.elem_type or len(a.shape.dim) != len(b.shape.dim):
            raise ValueError(f"output '{declared.name}' is declared {a} but inferred {b}")


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 64
    failed = 0
    for path in paths:
        try:
            check(path)
            print(f"ok {path}")
        except Exception as e:  # the checker raises ValidationError, InferenceError and others
            failed += 1
            message = " ".join(str(e).split())
            print(f"FAIL {path}: {type(e).__name__}: {message}")
    print(f"onnx {onnx.__version__}: {len(paths) - failed} of {len(paths)} models pass check_model(full_check=True) and strict shape inference")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
