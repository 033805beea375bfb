"""Every bad input is refused while the workflow parses, before any job: one line `error: ...`
naming the key (or file, or flag) and no traceback."""

import os
import struct

import pytest

from conftest import REPO, snakemake


def cuda_available() -> bool:
    import torch

    return torch.cuda.is_available()


def mnist(root, images=b"", labels=b""):
    """MNIST training files: an image header for 10 images of 28x28 followed by `images`."""
    root.mkdir(parents=True)
    head = struct.pack(">BBBBIII", 0, 0, 0x08, 3, 10, 28, 28)
    (root / "train-images-idx3-ubyte").write_bytes(head + images)
    (root / "train-labels-idx1-ubyte").write_bytes(struct.pack(">BBBBI", 0, 0, 0x08, 1, 10) + labels)


def read_only(path):
    path.mkdir(parents=True)
    path.chmod(0o500)


CASES = {  # name: (snakemake arguments, set-up in the working directory, expected message)
    "unknown scale": (["--config", "scale=huge"], None, "config key 'scale': 'huge' is not one of"),
    "split larger than the cube": (
        ["--config", "data={splits: {m: [200]}}"], None,
        "config key 'data.splits.m': 200 is not in 1..127 (the cube of n = 7 has 128 points)"),
    "digits task larger than the data": (
        ["--config", "sgd_bayes={tasks: {digits: {data: {m: 1790}}}}"], None,
        "config key 'sgd_bayes.tasks.digits.data': m + test_size = 1790 + 20 exceeds the 1797 images"),
    "corruption set larger than the data": (
        ["--config", "occam={corruption: {data: {m: 1700}}}"], None,
        "config key 'occam.corruption.data': m + test_size = 1700 + 1000 exceeds the 1797 images"),
    "an unknown image source": (
        ["--config", "data={images: {source: cifar10}}"], None,
        "config key 'data.images.source': 'cifar10' is not one of ['digits', 'mnist', 'fashion_mnist']"),
    "fashion_mnist neither cached nor reachable": (
        ["--config", "data={images: {source: fashion_mnist, cache: cache, mirror: 'http://127.0.0.1:9/'}}"], None,
        ("config key 'data.images.source': fashion_mnist is not in the cache cache/fashion_mnist and no mirror "
         "answers (http://127.0.0.1:9/train-images-idx3-ubyte.gz: ")),
    "mnist file missing": (
        ["--config", "data={images: {source: mnist, root: local}}"], lambda d: (d / "local" / "mnist").mkdir(parents=True),
        "config key 'data.images.root': IDX file not found: expected local/mnist/train-images-idx3-ubyte"),
    "mnist file truncated": (
        ["--config", "data={images: {source: mnist, root: local}}"],
        lambda d: mnist(d / "local" / "mnist", images=bytes(1000), labels=bytes(10)),
        "local/mnist/train-images-idx3-ubyte: truncated data (1016 bytes, expected 7856)"),
    "runs for a variant the task does not run": (
        ["--config", "sgd_bayes={tasks: {boolean: {variant_runs: {sgd_b32: 10}}}}"], None,
        "config key 'sgd_bayes.tasks.boolean.variant_runs': 'sgd_b32' is not one of the task's variants"),
    "a nested value of the wrong type": (
        ["--config", "prior={batch: many}"], None, "config key 'prior.batch': 'many' is not of type 'integer'"),
    "cuda without a CUDA device": pytest.param(
        ["--config", "device=cuda"], None,
        "config key 'device': 'cuda' but torch finds no CUDA device on this machine; run with --config device=auto",
        marks=pytest.mark.skipif(cuda_available(), reason="this machine has CUDA")),
    "zero threads": (["--set-threads", "sample_prior_shard=0"], None,
                     "--set-threads sample_prior_shard=0: a job needs at least 1 thread"),
    "a file where the figures go": (
        [], lambda d: (d / "results/default").mkdir(parents=True) or (d / "results/default/figures").touch(),
        "results/default/figures is not a directory: the jobs writing results/default/figures would fail"),
    "a figure directory that cannot be written": pytest.param(
        [], lambda d: read_only(d / "results/default/figures"),
        "results/default/figures cannot be written", marks=pytest.mark.skipif(
            os.geteuid() == 0, reason="root writes any directory")),
}


@pytest.mark.parametrize("args, setup, expected", CASES.values(), ids=CASES.keys())
def test_refused_before_any_job_in_one_line(tmp_path, args, setup, expected):
    if setup:
        setup(tmp_path)
    code, out = snakemake("-n", "--directory", str(tmp_path), "--snakefile", str(REPO / "Snakefile"),
                          "--configfile", str(REPO / "config.yaml"), *args)
    assert code != 0
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and expected in errors[0], out
    assert "Traceback" not in out and 'File "' not in out, out
    assert "Building DAG of jobs" not in out
