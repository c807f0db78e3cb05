"""CPU time (user + sys) of the processes a benchmark drives, read from /proc.

Wall-clock figures swing with whatever else the machine runs; the CPU a unit of work costs
is steadier, so the bench reports it per order beside the rates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _fields(stat: Path) -> list[str] | None:
    """The fields of a process's or a thread's ``stat`` file after the command name."""
    try:
        text = stat.read_text()
    except OSError:
        return None  # gone meanwhile
    # The command name (field 2) may hold spaces: the fields that follow start after its ")".
    return text[text.rindex(")") + 2 :].split()


def _stat(pid: int) -> list[str] | None:
    return _fields(Path(f"/proc/{pid}/stat"))


def _seconds(fields: list[str]) -> float:
    """User + sys time (fields 14 and 15 of a stat file)."""
    return (int(fields[11]) + int(fields[12])) / TICK


def cpu_seconds(pid: int) -> float:
    """The process's own user + sys time (fields 14 and 15 of /proc/PID/stat)."""
    fields = _stat(pid)
    return 0.0 if fields is None else _seconds(fields)


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (a host's sidecars and their own children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds so far of a process and every live process below it (chromium's many)."""
    return cpu_seconds(pid) + sum(cpu_seconds(p) for p in descendants(pid))


def thread_cpu_seconds(pid: int) -> dict[int, float]:
    """Each live thread's user + sys time so far, by thread id: a process whose one thread
    nears a whole core is bound by that thread, however idle the other cores are. A thread
    that has ended is no longer listed (its time stays in the process's)."""
    found: dict[int, float] = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        if (fields := _fields(task / "stat")) is not None:
            found[int(task.name)] = _seconds(fields)
    return found


def busiest_thread_seconds(before: dict[int, float], after: dict[int, float]) -> float:
    """The most CPU time one thread spent between two ``thread_cpu_seconds`` samples."""
    return max((spent - before.get(tid, 0.0) for tid, spent in after.items()), default=0.0)


@dataclass(frozen=True)
class MachineTime:
    """CPU seconds summed over every core so far (/proc/stat's first line)."""

    busy: float  # running something: the processes measured, and anything else on this machine
    stolen: float  # a core of ours wanted to run while the hypervisor ran another guest

    def __sub__(self, other: MachineTime) -> MachineTime:
        return MachineTime(self.busy - other.busy, self.stolen - other.stolen)

    def percent_of(self, wall: float) -> MachineTime:
        """These seconds as percentages of what every core had in ``wall`` seconds."""
        per_percent = wall * (os.cpu_count() or 1) / 100
        return MachineTime(self.busy / per_percent, self.stolen / per_percent)


def machine_seconds() -> MachineTime:
    # user nice system idle iowait irq softirq steal (guest time is inside user and nice already)
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return MachineTime((user + nice + system + irq + softirq) / TICK, steal / TICK)


def machine_busy_seconds() -> float:
    """CPU time every core spent running something so far: what a stretch of time cost the
    whole machine (the processes measured, and anything else running; not time stolen)."""
    return machine_seconds().busy


def _host_and_sidecars(pid: int) -> tuple[list[int], list[int]]:
    """A host's own processes: the host and, under `stephost start --workers N`, its workers
    (the children running ``stephost_host.workers``); and the rest of its descendants, its
    sidecars. One walk of /proc for both."""
    own, sidecars = [pid], []
    for child in descendants(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        (own if b"stephost_host.workers" in cmdline else sidecars).append(child)
    return own, sidecars


def host_threads_cpu_seconds(pid: int) -> dict[int, float]:
    """``thread_cpu_seconds`` of every process of the host (its workers' event loops too)."""
    own, _ = _host_and_sidecars(pid)
    return {tid: spent for p in own for tid, spent in thread_cpu_seconds(p).items()}


def sidecars_cpu(host_pid: int) -> float:
    """CPU seconds so far of a host's sidecars (they live as long as the host)."""
    _, sidecars = _host_and_sidecars(host_pid)
    return sum(cpu_seconds(p) for p in sidecars)


@dataclass(frozen=True)
class CpuSample:
    host: float
    nats: float
    sidecars: float

    def __sub__(self, other: CpuSample) -> CpuSample:
        return CpuSample(self.host - other.host, self.nats - other.nats, self.sidecars - other.sidecars)

    @property
    def total(self) -> float:
        return self.host + self.nats + self.sidecars


def sample(host_pid: int, nats_pid: int) -> CpuSample:
    """CPU seconds so far of the host, the nats-server and the host's sidecars (which live
    as long as the host, so two samples' difference is what a run cost)."""
    own, sidecars = _host_and_sidecars(host_pid)
    return CpuSample(
        host=sum(cpu_seconds(p) for p in own),
        nats=cpu_seconds(nats_pid),
        sidecars=sum(cpu_seconds(p) for p in sidecars),
    )
