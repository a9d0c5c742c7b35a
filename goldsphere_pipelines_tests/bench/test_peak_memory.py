"""The benchmark's peak memory figure: what the kernel saw, reset between phases."""

from __future__ import annotations

import sys

import pytest

from goldsphere_pipelines.bench import PeakMemory

SPIKE_MB = 64


@pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="only Linux keeps a resettable peak; a 20 ms sampler may miss a spike this short",
)
def test_a_spike_between_two_readings_counts_and_reset_forgets_it() -> None:
    with PeakMemory() as memory:
        memory.reset()
        before = memory.peak_mb
        spike = b"\x01" * (SPIKE_MB * 2**20)  # written, so resident, then freed at once
        del spike
        assert memory.peak_mb >= before + SPIKE_MB * 0.9

        memory.reset()
        assert memory.peak_mb < before + SPIKE_MB * 0.5
