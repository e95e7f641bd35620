# Independent reference for specs/activations.yaml: torch 1.13 in float64 (no NetSpec code).
# Each op has its own input row; J = the element-wise sum of the outputs and dJ/d(output) = g,
# so each input's gradient is g times that op's own derivative, computed by torch.autograd.
# The values stay within float32's range (e^80 = 5.5e34 < 3.4e38), as every spec also runs in float32.
# Run with /usr/bin/python3 tools/activations-reference.py; values printed with repr (shortest
# round-trip float64).
import torch
torch.set_default_dtype(torch.float64)
real = [-100.0, -30.0, -2.0, 0.0, 0.5, 3.0, 30.0, 80.0]      # tanh, exp, neg, identity
positive = [1e-30, 1e-8, 0.25, 1.0, 2.0, 9.0, 1e8, 1e30]    # log, sqrt (0 excluded: ln 0 = -inf, sqrt'(0) = inf)
g = [1.0, 2.0, -1.0, 3.0, 0.5, -2.0, 1.0, 1.0]
ops = {"tanh": (torch.tanh, real), "exp": (torch.exp, real), "neg": (torch.neg, real),
       "identity": (lambda t: t.clone(), real),
       "leaky_relu slope 0.25": (lambda t: torch.nn.functional.leaky_relu(t, 0.25), real), "log": (torch.log, positive), "sqrt": (torch.sqrt, positive)}
for name, (f, xs) in ops.items():
    x = torch.tensor(xs, requires_grad=True)
    y = f(x)
    y.backward(torch.tensor(g))
    print(name, "y", [float(v) for v in y.detach()])
    print(name, "dx", [float(v) for v in x.grad])
