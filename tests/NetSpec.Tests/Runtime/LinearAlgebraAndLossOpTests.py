# Reference values of tests/NetSpec.Tests/Runtime/LinearAlgebraAndLossOpTests.cs, from torch float64
# autograd (Debian's python3-torch 1.13): /usr/bin/python3 LinearAlgebraAndLossOpTests.py
# Inputs are F(shape, s): element i (row-major) is ((7 i + s) mod 11 - 5) / 4, as Seq in the tests;
# each backward is seeded with G = F(output shape, 9), i.e. J = sum(G * output).
import torch

def F(shape, s):
    n = 1
    for d in shape: n *= d
    return torch.tensor([((7 * i + s) % 11 - 5) / 4 for i in range(n)], dtype=torch.float64).reshape(shape).requires_grad_()

def show(name, t):
    print(f"{name}: [{', '.join(repr(v) for v in t.detach().flatten().tolist())}]")

def run(label, f, *inputs):
    out = f(*inputs)
    G = F(list(out.shape), 9).detach()
    (G * out).sum().backward()
    print(f"== {label}, output {list(out.shape)}")
    show("out", out)
    for k, x in enumerate(inputs):
        if x.grad is not None: show(f"d{k}", x.grad)

lin = lambda x, W, b: torch.nn.functional.linear(x, W, b)
run("linear [2,2,3] W [2,3] b [2]", lin, F([2, 2, 3], 0), F([2, 3], 1), F([2], 2))
run("linear [3] W [2,3] b [2]", lin, F([3], 0), F([2, 3], 1), F([2], 2))
run("matmul [2,2,3] x [3,2]", torch.matmul, F([2, 2, 3], 0), F([3, 2], 1))
run("matmul [2,1,2,3] x [3,3,2]", torch.matmul, F([2, 1, 2, 3], 0), F([3, 3, 2], 1))
run("matmul [3] x [2,3,2]", torch.matmul, F([3], 0), F([2, 3, 2], 1))
run("matmul [2,2,3] x [3]", torch.matmul, F([2, 2, 3], 0), F([3], 1))
run("softmax axis 1 [2,3,2]", lambda x: torch.softmax(x, 1), F([2, 3, 2], 0))
y = torch.tensor([[[0.2, 0.5], [0.3, 0.25], [0.5, 0.25]], [[1, 0], [0, 0.4], [0, 0.6]]], dtype=torch.float64)   # distributions along axis 1
o = torch.tensor([[[0.1, 0.6], [0.3, 0.3], [0.6, 0.1]], [[0.7, 0.2], [0.2, 0.5], [0.1, 0.3]]], dtype=torch.float64).requires_grad_()
run("cross_entropy axis 1 [2,3,2]", lambda o: -(y * o.log()).sum(1).mean(), o)
run("softmax_cross_entropy axis 1 [2,3,2]", lambda x: torch.nn.functional.cross_entropy(x, y), F([2, 3, 2], 0))
run("softmax_cross_entropy_rows axis 1 [2,3,2]", lambda x: torch.nn.functional.cross_entropy(x, y, reduction='none'), F([2, 3, 2], 0))
yt = y.transpose(1, 2).contiguous()   # [2,2,3]: the same distributions along the last axis
run("softmax_cross_entropy_rows axis -1 [2,2,3]", lambda x: -(yt * torch.log_softmax(x, -1)).sum(-1), F([2, 2, 3], 0))
run("l2_loss [2,2,3]", lambda o: 0.5 * ((o - F([2, 2, 3], 5).detach()) ** 2).sum() / 2, F([2, 2, 3], 0))
run("l2_regularization [2,3,2], [3] lambda 0.3", lambda a, b: 0.3 / 2 * ((a ** 2).sum() + (b ** 2).sum()), F([2, 3, 2], 0), F([3], 4))
