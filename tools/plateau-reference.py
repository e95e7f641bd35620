#!/usr/bin/python3
"""The learning rates of NetSpec's plateau schedule, computed by PyTorch's own
torch.optim.lr_scheduler.ReduceLROnPlateau (mode 'min', threshold_mode 'rel'), independently of
NetSpec.

  tools/plateau-reference.py
      prints, for each fixed case below, the learning rate of every epoch: the rate the optimizer
      holds before the epoch, then scheduler.step(loss of the epoch). The expectations of
      tests/NetSpec.Tests/Training/ReduceOnPlateauTests.cs are these numbers.

  tools/plateau-reference.py --check CURVE.csv --lr LR [--factor F --patience P --threshold T
                             --cooldown C --min-lr M]
      reads a learning curve's CSV as netspec writes it (epoch, train_loss, ..., validation_loss,
      ..., learning_rate), feeds the validation loss of each epoch (the training loss when there
      is no validation split) to the scheduler, and checks that the CSV's learning_rate column is
      the scheduler's rate of each epoch (relative difference <= 1e-12). Exit 0 when it is.
"""
import argparse
import csv
import json
import sys

import torch

# Each case: settings and a loss sequence exercising one rule.
CASES = {
    # improves, then flat: reduced after more than patience=2 bad epochs, again 3 epochs later
    "patience": dict(lr=0.1, factor=0.5, patience=2, threshold=1e-4, cooldown=0, min_lr=0.0,
                     losses=[1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7]),
    # a fall smaller than the relative threshold 1e-2 does not count as an improvement
    "threshold": dict(lr=1.0, factor=0.1, patience=1, threshold=1e-2, cooldown=0, min_lr=0.0,
                      losses=[1.0, 0.995, 0.991, 0.98, 0.9799, 0.97, 0.5, 0.499]),
    # after a reduction, cooldown=2 epochs are not counted
    "cooldown": dict(lr=0.01, factor=0.1, patience=0, threshold=1e-4, cooldown=2, min_lr=0.0,
                     losses=[2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0]),
    # never below min_lr; a reduction smaller than eps 1e-8 is skipped
    "min_lr": dict(lr=1e-3, factor=0.2, patience=0, threshold=1e-4, cooldown=0, min_lr=1e-4,
                   losses=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
    # PyTorch's defaults (factor 0.1, patience 10, threshold 1e-4, cooldown 0, min_lr 0)
    "defaults": dict(lr=0.1, factor=0.1, patience=10, threshold=1e-4, cooldown=0, min_lr=0.0,
                     losses=[1.0] * 25),
}


def rates(lr, factor, patience, threshold, cooldown, min_lr, losses):
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(
        opt, mode="min", factor=factor, patience=patience, threshold=threshold,
        threshold_mode="rel", cooldown=cooldown, min_lr=min_lr)
    out = []
    for loss in losses:
        out.append(opt.param_groups[0]["lr"])
        sched.step(loss)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check")
    ap.add_argument("--lr", type=float)
    ap.add_argument("--factor", type=float, default=0.1)
    ap.add_argument("--patience", type=int, default=10)
    ap.add_argument("--threshold", type=float, default=1e-4)
    ap.add_argument("--cooldown", type=int, default=0)
    ap.add_argument("--min-lr", type=float, default=0.0)
    a = ap.parse_args()
    if a.check is None:
        for name, c in CASES.items():
            print(name, json.dumps(rates(**c)))
        return 0
    with open(a.check, newline="") as f:
        rows = list(csv.DictReader(f))
    losses = [float(r["validation_loss"] or r["train_loss"]) for r in rows]
    expected = rates(a.lr, a.factor, a.patience, a.threshold, a.cooldown, a.min_lr, losses)
    bad = 0
    for r, e in zip(rows, expected):
        got = float(r["learning_rate"])
        if abs(got - e) > 1e-12 * max(abs(e), 1e-300):
            print(f"epoch {r['epoch']}: netspec {got!r}, torch {e!r}")
            bad += 1
    reductions = sum(1 for x, y in zip(expected, expected[1:]) if y < x)
    print(f"{len(rows)} epochs, {reductions} reductions, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
