"""Checks of the machine before any job: they refuse what would fail, and only that."""

import pytest

from nnbayes.core.errors import UserError
from nnbayes.workflow.machine import check_threads, check_writable


def test_a_directory_not_made_yet_is_judged_by_its_nearest_parent(tmp_path):
    check_writable([tmp_path / "results" / "smoke" / "figures", tmp_path])
    (tmp_path / "results").write_text("")
    with pytest.raises(UserError, match=rf"^{tmp_path / 'results'} is not a directory: the jobs writing "
                                        rf"{tmp_path / 'results/smoke/figures'} would fail"):
        check_writable([tmp_path / "results" / "smoke" / "figures"])


def test_threads_as_snakemake_parses_them():
    from snakemake.resources import Resource

    check_threads({"a": 1, "b": Resource("_cores", 4)})
    with pytest.raises(UserError, match=r"^--set-threads b=0: a job needs at least 1 thread$"):
        check_threads({"a": 2, "b": Resource("_cores", 0)})
