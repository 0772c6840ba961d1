#!/usr/bin/python3
"""Baseline for bench/engine.sh: the digits recipe in PyTorch on the CPU.

Same recipe as `aivisor-agent bench`: 80/20 split stratified by class with
seed 42, pixels / 16, MLP 64-128-64-10 with ReLU, softmax cross-entropy,
plain SGD lr 0.1, batch 32, float32.  Prints lines
    pytorch NAME VALUE UNIT
for the median epoch time, the test accuracy, and the median inference
latency of a batch of 1 and of 256 rows (class probabilities, as the
agent's predict returns).  Usage:
    pytorch_digits.py CSV THREADS EPOCHS RUNS
"""
import sys
import time

import numpy as np
import torch


def stratified_split(y, test_frac, seed):
    rng = np.random.default_rng(seed)
    test = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        test.extend(idx[: int(round(len(idx) * test_frac))])
    mask = np.zeros(len(y), bool)
    mask[test] = True
    return ~mask, mask


def median_us(fn, runs):
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e6)
    return float(np.median(times))


def main():
    path, threads, epochs, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    x, y = data[:, :-1] / 16.0, data[:, -1].astype(np.int64)
    tr, te = stratified_split(y, 0.2, 42)
    xtr, ytr = torch.from_numpy(x[tr]), torch.from_numpy(y[tr])
    xte, yte = torch.from_numpy(x[te]), torch.from_numpy(y[te])

    model = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 64), torch.nn.ReLU(),
        torch.nn.Linear(64, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = torch.nn.CrossEntropyLoss()
    epoch_ms = []
    n = len(ytr)
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        for s in range(0, n, 32):
            idx = perm[s:s + 32]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        epoch_ms.append((time.perf_counter() - t0) * 1e3)
    model.eval()
    with torch.no_grad():
        acc = (model(xte).argmax(1) == yte).float().mean().item()
        one, batch = xte[:1].clone(), xte[:256].clone()
        # Probabilities, as aivisor-agent's predict returns them.
        b1 = median_us(lambda: torch.softmax(model(one), 1), runs)
        b256 = median_us(lambda: torch.softmax(model(batch), 1), runs // 10 + 1)
    print(f"pytorch train_epoch_ms {float(np.median(epoch_ms)):.3f} ms")
    print(f"pytorch test_accuracy {acc:.4f} fraction")
    print(f"pytorch infer_b1_us {b1:.2f} us")
    print(f"pytorch infer_b256_us {b256:.2f} us")


if __name__ == "__main__":
    main()
