"""QNN simulator throughput (circuits x inputs per second) as ratios measured in one run.

  batched : nnbayes.qnn.quantum / nnbayes.qnn.models, all circuits as one tensor
            - circuit: the hardware-efficient ansatz, one dense layer matrix per circuit per layer
            - haar: the projector sampler (no unitary, no QR)
  naive   : one circuit at a time, gate by gate (circuit), or one QR-Haar U at a time with
            U^dag Z U materialised (haar), on the same N embedded inputs

Usage: python benchmarks/bench_qnn.py [--qubits Q] [--circuits B] [--naive-circuits B] [--threads T]
"""

import math
import time

import torch
from common import parse, parser, per_second, report, sync

from nnbayes.core.boolean import boolean_cube
from nnbayes.qnn.embeddings import embed
from nnbayes.qnn.models import circuit_outputs, haar_outputs
from nnbayes.qnn.quantum import (apply_1q, haar_unitary, ladder_permutation, ry, rz, z_expectation,
                             z_observable)

LAYERS = 2


def inputs(q: int, device) -> torch.Tensor:
    states, _ = embed({"kind": "angle", "theta": 1.0}, boolean_cube(q))  # 2^q inputs on q qubits
    return states.to(device=device, dtype=torch.complex64)


def naive_circuit_rate(states: torch.Tensor, n: int) -> float:
    q = int(math.log2(states.shape[1]))
    gen = torch.Generator().manual_seed(0)
    perm = ladder_permutation(q).to(states.device)
    t0 = time.perf_counter()
    for _ in range(n):
        angles = 2 * math.pi * torch.rand(LAYERS, q, 2, generator=gen)
        s = states
        for layer in range(LAYERS):
            for j in range(q):
                g = (rz(angles[layer, j, 1], s.dtype) @ ry(angles[layer, j, 0], s.dtype)).to(s.device)
                s = apply_1q(s, g, j + 1)
            s = s[..., perm]
        z_expectation(s, 1)
    return n / (time.perf_counter() - t0)


def naive_haar_rate(states: torch.Tensor, n: int) -> float:
    D = states.shape[1]
    gen = torch.Generator(device=states.device).manual_seed(0)
    M = torch.diag(z_observable(int(math.log2(D)), 1, states.dtype, states.device))
    t0 = time.perf_counter()
    for _ in range(n):
        U = haar_unitary(1, D, gen=gen, dtype=states.dtype, device=states.device)[0]
        O = U.mH @ M @ U
        torch.einsum("nj,jk,nk->n", states.conj(), O, states).real
    return n / (time.perf_counter() - t0)


def batched_rate(fn, states: torch.Tensor, n: int, batch: int) -> float:
    gen = torch.Generator(device=states.device).manual_seed(1)
    fn(states, min(batch, n), gen)  # warm-up
    sync(states.device)
    return per_second(lambda: [fn(states, min(batch, n - start), gen) for start in range(0, n, batch)], n,
                      states.device)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--qubits", type=int, default=7)
    p.add_argument("--circuits", type=int, default=2000)
    p.add_argument("--naive-circuits", type=int, default=100)
    p.add_argument("--batch", type=int, default=500)
    a, device = parse(p, threads=2)
    states = inputs(a.qubits, device)
    circuit = lambda s, b, g: circuit_outputs(s, b, layers=LAYERS, qubit=1, gen=g)  # noqa: E731
    haar = lambda s, b, g: haar_outputs(s, b, gen=g)  # noqa: E731
    res = {"device": str(device), "threads": a.threads, "qubits": a.qubits, "inputs": len(states)}
    res["naive_circuit_per_s"] = naive_circuit_rate(states, a.naive_circuits)
    res["batched_circuit_per_s"] = batched_rate(circuit, states, a.circuits, a.batch)
    res["naive_haar_per_s"] = naive_haar_rate(states, a.naive_circuits)
    res["batched_haar_per_s"] = batched_rate(haar, states, a.circuits, a.batch)
    res["circuit_speedup_vs_naive"] = res["batched_circuit_per_s"] / res["naive_circuit_per_s"]
    res["haar_speedup_vs_naive"] = res["batched_haar_per_s"] / res["naive_haar_per_s"]
    report(res, a.json, width=26)


if __name__ == "__main__":
    main()
