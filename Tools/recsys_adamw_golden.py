#!/usr/bin/env python3
"""Prints the AdamW reference values hard-coded in Tests/TrainingOpsTests/OptimTests.swift.

Two steps of Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019), written
out in numpy as torch.optim.AdamW defines it (amsgrad off): first p <- p * (1 - lr * wd),
then m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2, and
p <- p - lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps). Every parameter decays at
every step, including one whose gradient is zero throughout.
Run: .venv-tools/bin/python Tools/recsys_adamw_golden.py (any Python with numpy)
"""
import numpy as np

p0 = np.array([0.5, -1.0, 2.0, 0.25])
grads = [np.array([0.1, -0.2, 0.0, 0.0]), np.array([-0.3, 0.05, 0.4, 0.0])]
b1, b2, eps = 0.9, 0.999, 1e-8

for lr, wd in [(0.1, 0.1), (0.01, 0.0)]:
    p, m, v = p0.copy(), np.zeros(4), np.zeros(4)
    for t, g in enumerate(grads, start=1):
        p = p * (1 - lr * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        print(f"lr {lr} wd {wd} step {t}: [" + ", ".join(repr(float(x)) for x in p) + "]")
