"""A real one-node Slurm cluster on 127.0.0.1 for the tests: Debian's munged, slurmctld, slurmd.

Everything lives in one scratch directory (config, munge key and socket, controller state, spool,
logs, free ports) except one symlink: /etc/slurm/slurm.conf, where every Slurm client looks. (The
SLURM_CONF variable is not enough: the jobstep plugin strips SLURM_* from the `srun` it runs inside
each job.) So one cluster at a time per machine; a symlink left by a killed run is replaced. No
slurmdbd: `sacct` fails ("accounting storage is disabled"), so callers must poll with `squeue`
(MinJobAge is 300 s).

The daemons run in the foreground as children of the test process, as root, with
PR_SET_PDEATHSIG: `stop` (the fixture's finaliser) ends them by PID after checking each PID still
names the daemon we started, and the kernel ends them if the test process dies without it.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = {name: f"/usr/sbin/{name}" for name in ("munged", "slurmctld", "slurmd")}
CLIENTS = ("munge", "sbatch", "srun", "squeue", "sinfo", "scontrol", "scancel")
PACKAGES = "munge slurmctld slurmd slurm-client"
PARTITION = "debug"
CONF = Path("/etc/slurm/slurm.conf")
# Declared node memory (SlurmdParameters=config_overrides): no cgroup enforces it, and the
# profile's paper-sized requests (mem_mb up to 16000 * attempt) must fit on a small test machine.
DECLARED_MEMORY_MB = 65536

SLURM_CONF = """\
# nnbayes test cluster (tests/slurm_cluster.py); removed when the tests end
ClusterName=nnbtest
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={root}/munge/socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
SlurmctldPidFile={root}/slurmctld.pid
SlurmdPidFile={root}/slurmd.pid
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc={root}/log/jobcomp.log
MinJobAge=300
InactiveLimit=0
KillWait=5
Waittime=0
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} SocketsPerBoard={sockets} CoresPerSocket={cores} ThreadsPerCore={threads} RealMemory={memory} State=UNKNOWN
PartitionName={partition} Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


def unavailable() -> str | None:
    """Why no cluster can start on this machine (None: it can)."""
    if os.geteuid() != 0:
        return "a test Slurm cluster needs root (its daemons run as root)"
    absent = [p for p in DAEMONS.values() if not os.access(p, os.X_OK)]
    absent += [c for c in CLIENTS if shutil.which(c) is None]
    if absent:
        return (f"Slurm/munge not installed (missing {', '.join(absent)}); "
                f"`.ci/run` installs them: apt-get install {PACKAGES}")
    if (CONF.exists() or CONF.is_symlink()) and not _ours_and_stale(CONF):
        return f"{CONF} exists (a real or running cluster); the test cluster will not replace it"
    return None


def _ours_and_stale(conf: Path) -> bool:
    """A symlink from a test run that died: it points at a scratch directory no daemon uses."""
    if not conf.is_symlink():
        return False
    target = Path(os.readlink(conf))
    if not target.parent.name.startswith("nnb-slurm-"):
        return False
    return not any(_cmdline(pid).count(str(target.parent)) for pid in _pids())


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@dataclass
class Cluster:
    root: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def run(self, *cmd: str, check: bool = True) -> str:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        if check and r.returncode:
            raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr}")
        return r.stdout

    def logs(self) -> str:
        """Tails of the daemons' logs, for failure messages."""
        out = []
        for log in sorted((self.root / "log").glob("*.log")):
            tail = log.read_text(errors="replace").splitlines()[-15:]
            out.append("\n".join([f"--- {log.name}", *tail]))
        return "\n".join(out)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the test process dies (prctl PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _node() -> dict[str, str]:
    """This machine's topology as slurmd sees it (a mismatch drains the node)."""
    line = subprocess.run([DAEMONS["slurmd"], "-C"], capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r"(\w+)=(\S+)", line.splitlines()[0]))


def _wait(what: str, cluster: Cluster, ok, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not ok():
        for name, proc in cluster.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited {proc.returncode} while waiting for {what}\n"
                                   f"{cluster.logs()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout} s waiting for {what}\n{cluster.logs()}")
        time.sleep(0.1)


def _spawn(cluster: Cluster, name: str, *args: str) -> None:
    out = open(cluster.root / "log" / f"{name}.out", "w")
    cluster.procs[name] = subprocess.Popen([DAEMONS[name], *args], stdin=subprocess.DEVNULL,
                                           stdout=out, stderr=subprocess.STDOUT,
                                           preexec_fn=_die_with_parent)
    out.close()


def start() -> Cluster:
    """Configure and start munged, slurmctld and slurmd; return once the node is idle."""
    if (CONF.exists() or CONF.is_symlink()) and not _ours_and_stale(CONF):
        raise RuntimeError(f"{CONF} exists (a real or running cluster); not replacing it")
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="nnb-slurm-")))
    root = cluster.root
    sock, key = root / "munge" / "socket", root / "munge" / "munge.key"
    try:
        root.chmod(0o755)  # munged insists that everyone can reach its socket
        for d in ("munge", "state", "spool", "log"):
            (root / d).mkdir(mode=0o755)
        node = _node()
        (root / "slurm.conf").write_text(SLURM_CONF.format(
            root=root, host=node["NodeName"], ctld_port=_free_port(), slurmd_port=_free_port(),
            cpus=node["CPUs"], sockets=node["SocketsPerBoard"], cores=node["CoresPerSocket"],
            threads=node["ThreadsPerCore"], memory=max(DECLARED_MEMORY_MB, int(node["RealMemory"])),
            partition=PARTITION))
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        if CONF.is_symlink():  # a stale one of ours (checked above): its directory goes too
            shutil.rmtree(Path(os.readlink(CONF)).parent, ignore_errors=True)
            CONF.unlink()
        CONF.parent.mkdir(parents=True, exist_ok=True)
        CONF.symlink_to(root / "slurm.conf")
        _spawn(cluster, "munged", "--foreground", f"--socket={sock}", f"--key-file={key}",
               f"--pid-file={root}/munge/munged.pid", f"--log-file={root}/log/munged.log",
               f"--seed-file={root}/munge/seed")
        _wait("munged", cluster, lambda: subprocess.run(["munge", "-S", str(sock), "-n"],
                                                        capture_output=True).returncode == 0)
        _spawn(cluster, "slurmctld", "-D")
        _wait("slurmctld", cluster, lambda: "UP" in cluster.run("scontrol", "ping", check=False))
        _spawn(cluster, "slurmd", "-D")
        _wait("an idle node", cluster,
              lambda: cluster.run("sinfo", "-h", "-o", "%T", check=False).strip() == "idle")
    except BaseException:
        stop(cluster)
        raise
    return cluster


def stop(cluster: Cluster) -> None:
    """Cancel every job, end our daemons by PID (newest first), remove the config and directory."""
    if "slurmctld" in cluster.procs and cluster.procs["slurmctld"].poll() is None:
        cluster.run("scancel", f"--partition={PARTITION}", check=False)
        deadline = time.monotonic() + 15
        while (cluster.run("squeue", "-h", "-t", "R,CG,PD", check=False).strip()
               and time.monotonic() < deadline):
            time.sleep(0.2)
    for name, proc in reversed(cluster.procs.items()):
        if proc.poll() is None and _comm(proc.pid) == name:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if CONF.is_symlink() and Path(os.readlink(CONF)) == cluster.root / "slurm.conf":
        CONF.unlink()
    shutil.rmtree(cluster.root, ignore_errors=True)
    alive = [name for name, proc in cluster.procs.items() if proc.poll() is None]
    if alive:
        raise RuntimeError(f"still running after stop: {alive}")
