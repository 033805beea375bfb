"""workflow/profiles/slurm on a real Slurm cluster, through the official executor plugin.

A one-node cluster (tests/workflow/slurm_cluster.py) runs the smoke prior stage for two sample sets: the
Boolean cube, one sampling shard per set, both merges. The test cancels the first shard's Slurm
job while it runs; the profile must resubmit it with more memory and keep the failed job's log.
Every job must be a Slurm job with its own log, the merges must share one group job, the
profile's per-rule resources must reach Slurm, and every output must equal a local run's bytes.
Skipped without root or without Debian's munge/slurm packages (`.ci/run` installs them and sets
NNB_REQUIRE_SLURM=1, which turns the skip into a failure).
"""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
import yaml

import slurm_cluster
from conftest import REPO, copy_repo, snakemake
from nnbayes.core.specs import expand_grids
from nnbayes.workflow.config import deep_merge

PROFILE = "workflow/profiles/slurm"
EXPERIMENT = "chaos"  # the smoke preset's cheapest function-table experiment
SUBMITTED = re.compile(r"submitted with SLURM jobid (\d+) \(log: (\S+)\)")


def smoke_sets(experiment: str) -> tuple[list[str], int]:
    """Sample-set names and shards per set of an experiment at the smoke scale (as common.smk)."""
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    exp = deep_merge(cfg["prior"]["experiments"][experiment],
                     cfg["presets"]["smoke"]["prior"]["experiments"].get(experiment, {}))
    return list(expand_grids(exp, cfg["prior"]["defaults"]))[:2], exp["shards"]


SETS, SHARDS = smoke_sets(EXPERIMENT)
TARGETS = [f"results/smoke/samples/prior/{EXPERIMENT}/{s}.parquet" for s in SETS]
SLURM_ARGS = [
    "--workflow-profile", PROFILE,
    "--slurm-status-command", "squeue",  # no slurmdbd: the default (sacct) would wait forever
    # poll every second, not every 40 s: these jobs take seconds
    "--slurm-init-seconds-before-status-checks", "1", "--seconds-between-status-checks", "1",
    "--cores", "1",  # one CPU per job, so two jobs share the 2-core test node
]


@pytest.fixture(scope="module")  # up only while this file's tests run
def cluster(request):
    reason = slurm_cluster.unavailable()
    if reason:
        if os.environ.get("NNB_REQUIRE_SLURM") == "1":
            pytest.fail(f"NNB_REQUIRE_SLURM=1, but {reason}")
        pytest.skip(reason)
    c = slurm_cluster.start()
    request.addfinalizer(lambda: slurm_cluster.stop(c))
    return c


def env_for(root, **extra) -> dict:
    """The copy runs its own code; the site's account (if the developer has one set) is not ours."""
    env = {k: v for k, v in os.environ.items() if k != "NNB_SLURM_ACCOUNT"}
    return {**env, "PYTHONPATH": str(root / "src"), **extra}


def squeue(cluster) -> dict[int, dict]:
    """Every job the controller still knows (finished ones stay MinJobAge = 300 s)."""
    fields = ("state", "partition", "cpus", "memory", "time_limit", "comment")
    out = cluster.run("squeue", "-h", "-t", "all", "-o", "%i|%T|%P|%C|%m|%l|%k")
    rows = (line.split("|") for line in out.splitlines())
    return {int(i): dict(zip(fields, rest)) for i, *rest in rows}


def run_on_slurm(cluster, root, timeout=300) -> tuple[str, int | None]:
    """Snakemake through the profile; kill the first shard job mid-run, as a preemption would."""
    log = root / "snakemake.out"
    with open(log, "w") as out:
        proc = subprocess.Popen(["snakemake", *TARGETS, *SLURM_ARGS, "--config", "scale=smoke"],
                                cwd=root, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env=env_for(root, NNB_SLURM_PARTITION=slurm_cluster.PARTITION))
    cancelled, deadline = None, time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if cancelled is None:
            for i, job in squeue(cluster).items():
                started = root.glob(f"results/slurm-logs/rule_sample_prior_shard/*/{i}.log")
                if job["state"] == "RUNNING" and any(p.stat().st_size for p in started):
                    cancelled = i
                    cluster.run("scancel", str(i))
                    break
        time.sleep(0.2)
    if proc.poll() is None:  # too slow or hanging: snakemake cancels its Slurm jobs on SIGINT
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log.read_text()
    assert proc.returncode == 0, f"exit {proc.returncode}\n{text[-6000:]}\n{cluster.logs()}"
    return text, cancelled


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    local = copy_repo(tmp_path_factory.mktemp("local"))
    remote = copy_repo(tmp_path_factory.mktemp("slurm"))
    # the local run goes alongside: the Slurm run mostly waits for its next status check
    with open(local / "snakemake.out", "w") as log:
        local_run = subprocess.Popen(["snakemake", *TARGETS, "--cores", "2", "--config", "scale=smoke"],
                                     cwd=local, env=env_for(local), stdout=log, stderr=subprocess.STDOUT)
    try:
        out, cancelled = run_on_slurm(cluster, remote)
        local_run.wait(timeout=300)
    finally:
        local_run.kill()
    assert local_run.returncode == 0, (local / "snakemake.out").read_text()[-5000:]
    jobs = squeue(cluster)
    logs = {int(i): Path(log) for i, log in SUBMITTED.findall(out)}
    return {"local": local, "remote": remote, "out": out, "cancelled": cancelled, "jobs": jobs,
            "logs": {i: log.read_text() if log.exists() else None for i, log in logs.items()}}


def outputs(root) -> dict[str, bytes]:
    res = root / "results" / "smoke"
    return {str(p.relative_to(res)): p.read_bytes() for p in res.glob("**/*.parquet")}


@pytest.mark.slurm
def test_outputs_equal_a_local_run_byte_for_byte(runs):
    local, remote = outputs(runs["local"]), outputs(runs["remote"])
    expected = {"data/cube.parquet", *(f"samples/prior/{EXPERIMENT}/{s}.parquet" for s in SETS)}
    assert expected <= set(remote), sorted(remote)
    assert sorted(remote) == sorted(local)
    assert [f for f in remote if remote[f] != local[f]] == []


@pytest.mark.slurm
def test_every_job_is_a_slurm_job_with_its_log(runs):
    jobs, logs = runs["jobs"], runs["logs"]
    # the cube, one job per shard, the cancelled shard again, one group job for both merges
    assert len(logs) == 1 + len(SETS) * SHARDS + 1 + 1, runs["out"][-3000:]
    assert set(logs) <= set(jobs)
    assert [i for i, text in logs.items() if text is None] == []  # kept, failed or not
    for i in logs:
        assert jobs[i]["partition"] == slurm_cluster.PARTITION
        assert jobs[i]["state"] == ("CANCELLED" if i == runs["cancelled"] else "COMPLETED"), jobs[i]
    # each output was written inside a Slurm job: the job's log names it
    produced = [f"results/smoke/{f}" for f in outputs(runs["remote"])]
    for f in produced:
        assert any(f in text for i, text in logs.items() if jobs[i]["state"] == "COMPLETED"), f


@pytest.mark.slurm
def test_a_cancelled_job_is_retried_with_more_memory_and_time_and_its_log_kept(runs):
    jobs, logs, first = runs["jobs"], runs["logs"], runs["cancelled"]
    assert first is not None, "no shard job was caught running, so none was cancelled"
    assert logs[first] and "Trying to restart job" in runs["out"]
    again = [i for i in logs if i != first and jobs[i]["comment"] == jobs[first]["comment"]]
    assert len(again) == 1, jobs
    # profile: sample_prior_shard mem_mb 4000 * attempt, runtime 60 * attempt; threads 4 capped
    # by --cores 1
    first_job = (jobs[first]["memory"], jobs[first]["time_limit"], jobs[first]["cpus"])
    assert first_job == ("4000M", "1:00:00", "1")
    assert (jobs[again[0]]["memory"], jobs[again[0]]["time_limit"]) == ("8000M", "2:00:00")


@pytest.mark.slurm
def test_merges_share_one_group_job(runs):
    jobs, logs = runs["jobs"], runs["logs"]
    group = [i for i in logs if "merges" in jobs[i]["comment"]]  # rule_<group>_<rules>
    assert len(group) == 1, {i: jobs[i]["comment"] for i in logs}
    assert all(t in logs[group[0]] for t in TARGETS)
    # merge_prior: 16000 * attempt MB, 60 * attempt min; members run one after the other on one
    # CPU (--cores 1), so the group asks for the largest memory and the summed time
    assert (jobs[group[0]]["memory"], jobs[group[0]]["time_limit"]) == ("16000M", f"{len(SETS)}:00:00")


def test_profile_names_only_existing_rules():
    """A renamed rule would silently lose its cluster settings: the profile must follow it."""
    profile = yaml.safe_load((REPO / PROFILE / "profile.yaml").read_text())
    code, out = snakemake("--list-rules", "--config", "scale=smoke")
    assert code == 0, out
    rules = set(out.split())
    named = {*profile["set-threads"], *profile["set-resources"], *profile["groups"]}
    assert named - rules == set()
    groups = set(profile["groups"].values()) | {"figures"}
    assert set(profile["group-components"]) <= groups
