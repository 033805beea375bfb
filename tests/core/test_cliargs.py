"""Flags every command shares refuse what cannot run, as a one-line usage error."""

import pytest

from nnbayes.workflow.cli import main


def test_zero_threads_is_a_usage_error_not_a_torch_traceback(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["sample-prior", "--threads", "0", "--cube", "c", "--spec", "{}", "--record", "functions",
              "--samples", "1", "--name", "x", "--shard", "0", "--seed", "0", "--out", "o"])
    assert exit.value.code == 2
    assert "argument --threads: 0 is not a positive integer" in capsys.readouterr().err


def test_cuda_without_a_device_is_a_user_error():
    import torch

    from nnbayes.core.device import resolve_device
    from nnbayes.core.errors import UserError

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(UserError, match="no CUDA device on this machine; use device auto"):
        resolve_device("cuda")
