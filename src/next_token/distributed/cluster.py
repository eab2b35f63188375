"""Getting a Dask client: a LocalCluster of N workers on this machine, or a running scheduler."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..errors import InputError


def require_dask():
    """Import dask.distributed, or explain how to install it."""
    try:
        import dask.distributed as dd
    except ImportError:
        raise InputError(
            "distributed work needs Dask: pip install 'next-token-prediction[dask]' "
            "(or pip install 'dask[distributed]')"
        ) from None
    return dd


@contextmanager
def connect(workers: int | None = None, scheduler: str | None = None, processes: bool = True,
            threads_per_worker: int = 1) -> Iterator:
    """A `dask.distributed.Client`: connected to `scheduler` (an address such as
    "tcp://10.0.0.5:8786" or a scheduler file path ending in .json), or to a new LocalCluster of
    `workers` worker processes (threads with `processes=False`), closed when the block ends."""
    dd = require_dask()
    if (workers is None) == (scheduler is None):
        raise InputError("give either a number of local workers or a scheduler address, not both")
    if scheduler is not None:
        if scheduler.endswith(".json"):
            client = dd.Client(scheduler_file=scheduler)
        else:
            client = dd.Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    if workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    # The scheduler serves its HTTP routes even without a dashboard, by default on 8787; a second
    # cluster on the machine would then warn that the port is taken, so it takes any free port.
    cluster = dd.LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=processes,
                              dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"})
    client = dd.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()
