"""CNN training throughput (runs/s to 100% training accuracy) as a ratio measured in one run.

  batched : nnbayes.core.train.train_networks with model=cnn_model(spec): all nets as one grouped
            convolution per layer (core/cnn.py), trained by autograd
  naive   : one nn.Module (Conv2d/ReLU/Linear) + torch.optim.SGD per run, trained to 100%
            training accuracy, then evaluated on E

Same problem both sides: sklearn's 8x8 digits scaled to [0, 1], label digit < 5, m = 32 images,
|E| = 32; the authors' no-pooling CNN with two 3x3 conv layers of 8 channels (valid, same) and a
dense read-out, sigma_w = 1, sigma_b = 0.1; SGD lr 0.05, batch 8, CE. One thread by default.

Usage: python benchmarks/bench_train_cnn.py [--runs N] [--naive-runs N] [--threads T]
"""

import time

import numpy as np
import torch
from common import fit_one, parse, parser, report, runs_result, timed
from sklearn.datasets import load_digits

from nnbayes.core.cnn import CNNSpec, cnn_model, init_cnn
from nnbayes.core.tasks import image_task
from nnbayes.core.train import train_networks

NET = {"arch": "cnn", "image_shape": [1, 8, 8], "channels": [8, 8], "filters": [3, 3], "padding": ["valid", "same"],
       "activation": "relu", "sigma_w": 1.0, "sigma_b": 0.1}
SPEC = CNNSpec.from_net(NET, 64)
M, TEST, LR, BATCH, MAX_EPOCHS = 32, 32, 0.05, 8, 500


def data(device):
    d = load_digits()
    t = image_task(d.data / 16, (d.target < 5).astype(np.uint8), M, TEST, seed=0)
    return tuple(torch.as_tensor(a, dtype=torch.float32, device=device) for a in (t.X_train, t.y_train, t.X_test))


def draw(n, device):
    return init_cnn(n, SPEC, torch.Generator(device=device).manual_seed(0), device, torch.float32)


def module(params, k: int, device) -> torch.nn.Module:
    """Net k of the batched params as an nn.Sequential."""
    layers = [torch.nn.Unflatten(1, SPEC.image_shape)]
    for (W, b), pad in zip(params[:-1], SPEC.padding):
        conv = torch.nn.Conv2d(W.shape[2], W.shape[1], W.shape[3], padding=pad, device=device)
        conv.weight.data, conv.bias.data = W[k].clone(), b[k].clone()
        layers += [conv, torch.nn.ReLU()]
    read = torch.nn.Linear(params[-1][0].shape[2], 1, device=device)
    read.weight.data, read.bias.data = params[-1][0][k].clone(), params[-1][1][k].clone()
    return torch.nn.Sequential(*layers, torch.nn.Flatten(), read)


def naive_rate(n, device) -> float:
    X, y, X_test = data(device)
    params = draw(n, device)
    t0 = time.perf_counter()
    for k in range(n):
        net = module(params, k, device)
        fit_one(net, X, y, X_test, lr=LR, batch=BATCH, max_epochs=MAX_EPOCHS)
    return n / (time.perf_counter() - t0)


def batched_rate(n, device) -> tuple[float, float]:
    X, y, X_test = data(device)
    res, dt = timed(lambda: train_networks(draw(n, device), X, y, X_test, activation="relu", optimizer="sgd", lr=LR,
                                           batch_size=BATCH, loss="ce", max_epochs=MAX_EPOCHS,
                                           gen=torch.Generator(device=device).manual_seed(1), model=cnn_model(SPEC)),
                    device)
    return n / dt, float(res.converged.mean())


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--naive-runs", type=int, default=10)
    a, device = parse(p, threads=1)
    report(runs_result(a, device, naive_rate, batched_rate), a.json)


if __name__ == "__main__":
    main()
