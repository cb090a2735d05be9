"""Cgroup.cpu_seconds: a group's CPU time from cgroup v2's cpu.stat or v1's cpuacct.usage, whichever of its
folders has one (the files as the kernel writes them); None when no hierarchy of the group counts CPU."""

from __future__ import annotations

from pathlib import Path

from seaway.sandbox.cgroups import Cgroup

V2_CPU_STAT = "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 0\n"


def group(tmp_path: Path, **files: str) -> Cgroup:
    folders = []
    for index, (name, text) in enumerate(files.items()):
        folder = tmp_path / f"hierarchy-{index}"
        folder.mkdir()
        (folder / name.replace("_", ".", 1)).write_text(text)
        folders.append(folder)
    return Cgroup(tuple(folders), None)


def test_v2_counts_cpu_in_every_group(tmp_path: Path):
    assert group(tmp_path, cpu_stat=V2_CPU_STAT).cpu_seconds() == 2.5


def test_v1_counts_it_in_the_cpuacct_hierarchy(tmp_path: Path):
    assert group(tmp_path, memory_stat="rss 0\n", cpuacct_usage="1250000000\n").cpu_seconds() == 1.25


def test_no_hierarchy_counting_cpu_is_none(tmp_path: Path):
    assert group(tmp_path, memory_stat="rss 0\n").cpu_seconds() is None
    assert Cgroup((tmp_path / "gone",), None).cpu_seconds() is None
