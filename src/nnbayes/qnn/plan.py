"""The workflow's view of config `qnn`: prior sample sets from grids, and the cross-references the
schema cannot state. Torch-free: the Snakefile imports it."""

import itertools
import math

from nnbayes.core.errors import ConfigError


def qubits(spec: dict, n: int) -> int:
    """Qubits an embedding of n bits uses (as `qnn_embeddings.embed` builds it)."""
    kind = spec["kind"]
    if kind in ("basis", "angle", "zz"):
        return n
    if kind == "dense_angle":
        return math.ceil(n / 2)
    length = n + (spec["inputs"] == "binary" and spec.get("zero") == "constant")
    return max(1, math.ceil(math.log2(length)))


def prior_sets(qnn: dict) -> dict[str, dict]:
    """{name: spec} of every grid point, name = {embedding}-{scheme}; a spec carries what its
    sampler needs (the embedding's state spec, circuit layers, kernel or layered settings)."""
    sets = {}
    for grid in qnn["prior"]["grids"]:
        axes = [v if isinstance(v, list) else [v] for v in (grid["embedding"], grid["scheme"])]
        for embedding, scheme in itertools.product(*axes):
            spec = {"embedding": embedding, "encoding": qnn["embeddings"][embedding], "scheme": scheme,
                    "samples": grid["samples"]}
            if scheme == "circuit":
                spec.update(layers=qnn["circuit_layers"], qubit=qnn["observable_qubit"])
            elif scheme in ("haar", "gue"):
                spec.update(qubit=qnn["observable_qubit"])
            elif scheme == "kernel":
                spec.update(kernel=qnn["kernel"])
            elif scheme == "layered":
                spec.update(layered=qnn["layered"])
            sets.setdefault(f"{embedding}-{scheme}", spec)
    return sets


def check_references(config: dict) -> None:
    """Names in `qnn` that must exist elsewhere, and embeddings fit for their use; raise
    ConfigError naming the key."""
    qnn, n = config["qnn"], config["data"]["n"]
    names = qnn["embeddings"]

    def known(key: str, values: list[str], need_all_inputs: bool = False) -> None:
        for v in values:
            if v not in names:
                raise ConfigError(f"config key 'qnn.{key}': {v!r} is not one of {sorted(names)}")
            if need_all_inputs and names[v].get("zero") == "drop":
                raise ConfigError(f"config key 'qnn.{key}': {v!r} leaves x = 0 out (zero: drop); "
                                     "only the expressivity counts take it")

    known("mapping.embeddings", qnn["mapping"]["embeddings"])
    known("mapping.moment_embeddings", qnn["mapping"]["moment_embeddings"], need_all_inputs=True)
    known("expressivity.embeddings", qnn["expressivity"]["embeddings"])
    known("expressivity.kernel_embeddings", qnn["expressivity"]["kernel_embeddings"], need_all_inputs=True)
    known("learning.embeddings", qnn["learning"]["embeddings"], need_all_inputs=True)
    known("learning.kernel_embeddings", qnn["learning"]["kernel_embeddings"], need_all_inputs=True)
    known("layered.embedding", [qnn["layered"]["embedding"]], need_all_inputs=True)
    for i, grid in enumerate(qnn["prior"]["grids"]):
        known(f"prior.grids[{i}].embedding", grid["embedding"] if isinstance(grid["embedding"], list)
              else [grid["embedding"]], need_all_inputs=True)
    layered = names[qnn["layered"]["embedding"]]
    if (layered["kind"], layered.get("inputs"), layered.get("zero")) != ("amplitude", "binary", "constant"):
        raise ConfigError("config key 'qnn.layered.embedding': the layered QNN needs an amplitude "
                             "embedding with inputs: binary, zero: constant (its constant amplitude)")
    for key in ("mapping.embeddings", "prior"):
        used = (qnn["mapping"]["embeddings"] if key != "prior"
                else [s["embedding"] for s in prior_sets(qnn).values() if s["scheme"] == "circuit"])
        for v in used:
            if qubits(names[v], n) < qnn["observable_qubit"]:
                raise ConfigError(f"config key 'qnn.observable_qubit': {qnn['observable_qubit']} exceeds "
                                     f"the {qubits(names[v], n)} qubits of embedding {v!r} ({key})")
    missing = sorted(set(qnn["learning"]["targets"]) - set(config["data"]["targets"]))
    if missing:
        raise ConfigError(f"config key 'qnn.learning.targets': {missing} are not in data.targets "
                             f"{sorted(config['data']['targets'])}")
    for m in qnn["learning"]["splits"]["m"]:
        if not 0 < m < 2**n:
            raise ConfigError(f"config key 'qnn.learning.splits.m': {m} is not in 1..{2**n - 1}")
