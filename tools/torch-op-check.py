"""Runs exported NetSpec modules (class Net, written by src/NetSpec.Runtime/Torch/TorchModule.cs) in PyTorch.

Usage: python3 tools/torch-op-check.py CASES.json RESULTS.json

CASES.json is a list of cases, each {"id", "module" (the Python source of class Net), "node" (the
value to run backward from), "training", "step", "values" (every input, parameter and state value
by name, row-major), "shapes" (their shapes: a module written at one batch size may run at
another), "grad" (the gradient backward starts from, row-major), "requires_grad" (the
data inputs whose gradient is wanted)}. For each case this builds Net(torch.float64), loads the
values, runs forward(feeds, step) in the case's mode, then backward from the node, and writes
{"id", "error", "value", "grads", "sides", "state"}: the node's value, the gradient of every
input and parameter (null where torch has none), every side value forward wrote (v["node.label"])
and every state buffer after forward. Nothing is compared here: the C# test compares with NetSpec.
Dropout's masks come from NetSpec's counter-based generator as tools/netspec_rng.py writes it.
"""
import json
import math
import os
import sys
import traceback

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netspec_rng  # noqa: E402


def counter_uniform(seed, node, step, n):
    """Element i: CounterRandom.Uniform(CounterRandom.Base(seed, key(node), step), i), as numpy float64."""
    base = netspec_rng.stream_base(seed, node, step)
    return np.array([netspec_rng.uniform(base, i) for i in range(n)], dtype=np.float64)


def flat(t):
    return None if t is None else t.detach().reshape(-1).tolist()


def run(case):
    scope = {"torch": torch, "nn": nn, "F": F, "np": np, "math": math, "counter_uniform": counter_uniform}
    exec(case["module"], scope)
    net = scope["Net"](torch.float64)
    values = case["values"]

    def tensor(name):
        return torch.tensor(values[name], dtype=torch.float64).reshape(case["shapes"][name])

    with torch.no_grad():
        for name in net.PARAMETERS:
            net.params[name].copy_(tensor(name))
        for name in net.STATE:
            getattr(net.state, name).copy_(tensor(name))
    feeds = {}
    for name in net.INPUTS:
        feeds[name] = tensor(name).requires_grad_(name in case["requires_grad"])
    net.train(case["training"])
    v = net(feeds, case["step"])
    y = v[case["node"]]
    if y.requires_grad:
        y.backward(torch.tensor(case["grad"], dtype=torch.float64).reshape(y.shape))
    grads = {name: flat(feeds[name].grad) for name in net.INPUTS}
    grads.update({name: flat(net.params[name].grad) for name in net.PARAMETERS})
    sides = {k: flat(t) for k, t in v.items() if k.startswith(case["node"] + ".")}
    state = {name: flat(getattr(net.state, name)) for name in net.STATE}
    return {"value": flat(y), "grads": grads, "sides": sides, "state": state}


def main():
    cases = json.load(open(sys.argv[1]))
    results = []
    for case in cases:
        try:
            r = run(case)
            r["error"] = None
        except Exception:  # reported per case, so one broken form does not hide the others
            r = {"error": traceback.format_exc()}
        r["id"] = case["id"]
        results.append(r)
    with open(sys.argv[2], "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main()
