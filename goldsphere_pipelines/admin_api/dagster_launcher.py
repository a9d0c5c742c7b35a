"""Launching a connector's sync in Dagster, through the webserver's GraphQL API.

`DagsterLauncher` is all the admin API knows of Dagster: it makes sure the connector's
partition exists, tells whether a sync of that partition is queued or running, and
launches the `sync_connector` job for the partition with the chosen assets. It talks to
the webserver with dagster-graphql's client; nothing secret is ever sent (the run reads
the credentials from the database itself).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError
from gql.transport.requests import RequestsHTTPTransport

from goldsphere_pipelines.errors import GoldsphereError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The names Dagster knows the project by (definitions.py, defs/); a test keeps them equal.
CODE_LOCATION_NAME = "goldsphere_pipelines"
REPOSITORY_NAME = "__repository__"
SYNC_JOB_NAME = "sync_connector"
REMAP_JOB_NAME = "remap_connector"
PARTITIONS_DEF_NAME = "connectors"
NON_SYNC_JOB_NAMES = frozenset({"test_connection_job"})
"""Jobs of a connector partition that do not sync, so never block a sync."""
PARTITION_TAG = "dagster/partition"
TRIGGER_TAG = "goldsphere/trigger"
TRIGGER = "admin-api"

PRODUCT_ASSET_KEYS = (("goldsphere", "external_product"), ("goldsphere", "products"))
ORDER_ASSET_KEYS = (("goldsphere", "external_order"), ("goldsphere", "orders"))
DELETIONS_ASSET_KEY = ("goldsphere", "deletions")
"""Reconciliation: part of every sync (it acts on full passes), or launched alone."""

ACTIVE_STATUSES = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")
"""Run statuses during which a sync holds (or is about to take) the connector."""
UNKNOWN_STATUS = "UNKNOWN"
FINISHED_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})

REQUEST_TIMEOUT_SECONDS = 30

_ACTIVE_RUNS_QUERY = """
query GoldsphereActiveRuns($filter: RunsFilter!) {
  runsOrError(filter: $filter, limit: 20) {
    __typename
    ... on Runs { results { runId jobName status } }
    ... on InvalidPipelineRunsFilterError { message }
    ... on PythonError { message }
  }
}
"""

_ADD_PARTITION_MUTATION = """
mutation GoldsphereAddPartition(
  $selector: RepositorySelector!, $partitionsDefName: String!, $partitionKey: String!
) {
  addDynamicPartition(
    repositorySelector: $selector,
    partitionsDefName: $partitionsDefName,
    partitionKey: $partitionKey
  ) {
    __typename
    ... on AddDynamicPartitionSuccess { partitionKey }
    ... on DuplicateDynamicPartitionError { partitionName }
    ... on UnauthorizedError { message }
    ... on PythonError { message }
  }
}
"""


class DagsterUnavailableError(GoldsphereError):
    code = "dagster_unavailable"


class DagsterRequestError(GoldsphereError):
    """Dagster answered, but refused or failed the request."""

    code = "dagster_error"


@dataclass(frozen=True)
class ActiveRun:
    run_id: str
    job_name: str
    status: str


@dataclass(frozen=True)
class LaunchedRun:
    run_id: str
    status: str
    """Dagster's run status right after the launch (QUEUED, STARTING, ...), or UNKNOWN."""


def sync_asset_keys(*, sync_products: bool, sync_orders: bool) -> list[tuple[str, ...]]:
    """The assets a sync materializes: products, orders, or both (products first)."""
    keys: list[tuple[str, ...]] = []
    if sync_products:
        keys += PRODUCT_ASSET_KEYS
    if sync_orders:
        keys += ORDER_ASSET_KEYS
    return [*keys, DELETIONS_ASSET_KEY] if keys else keys


class _Refused(Exception):
    """Dagster answered a document of ours with an error type instead of a result."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class _Client(DagsterGraphQLClient):
    """dagster-graphql's client plus the two documents it has no method for."""

    def add_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> str:
        data: dict[str, Any] = self._execute(
            _ADD_PARTITION_MUTATION,
            {
                "selector": {
                    "repositoryLocationName": CODE_LOCATION_NAME,
                    "repositoryName": REPOSITORY_NAME,
                },
                "partitionsDefName": partitions_def_name,
                "partitionKey": partition_key,
            },
        )
        result = data["addDynamicPartition"]
        typename = str(result["__typename"])
        if typename in ("AddDynamicPartitionSuccess", "DuplicateDynamicPartitionError"):
            return typename
        raise _Refused(typename)

    def runs_with_tag(self, key: str, value: str, statuses: Sequence[str]) -> list[ActiveRun]:
        data: dict[str, Any] = self._execute(
            _ACTIVE_RUNS_QUERY,
            {"filter": {"tags": [{"key": key, "value": value}], "statuses": list(statuses)}},
        )
        result = data["runsOrError"]
        if result["__typename"] != "Runs":
            raise _Refused(str(result["__typename"]))
        return [
            ActiveRun(run_id=run["runId"], job_name=run["jobName"], status=run["status"])
            for run in result["results"]
        ]


class DagsterLauncher:
    """Launches and inspects connector syncs on the Dagster webserver at `base_url`."""

    def __init__(self, base_url: str, *, timeout_seconds: int = REQUEST_TIMEOUT_SECONDS) -> None:
        self.base_url = base_url.rstrip("/")
        self._timeout = timeout_seconds

    def run_url(self, run_id: str) -> str:
        """Where an admin follows the run in the Dagster UI."""
        return f"{self.base_url}/runs/{run_id}"

    def active_syncs(self, partition_key: str) -> list[ActiveRun]:
        """Runs of the partition that are queued, starting or running, sync jobs only."""
        runs = self._call(
            lambda client: client.runs_with_tag(PARTITION_TAG, partition_key, ACTIVE_STATUSES)
        )
        return [run for run in runs if run.job_name not in NON_SYNC_JOB_NAMES]

    def ensure_partition(self, partition_key: str) -> None:
        """Add the connector's partition when the instance does not have it yet (the
        partitions sensor would, but only on its next tick)."""
        self._call(lambda client: client.add_dynamic_partition(PARTITIONS_DEF_NAME, partition_key))

    def launch_sync(
        self,
        partition_key: str,
        asset_keys: Sequence[Sequence[str]],
        *,
        sync_config: dict[str, Any] | None = None,
    ) -> LaunchedRun:
        """Launch `sync_connector` for the partition, materializing `asset_keys`;
        `sync_config` sets fields of the run's `sync` resource (nothing secret)."""
        run_config = {"resources": {"sync": {"config": sync_config}}} if sync_config else None
        return self._launch(
            SYNC_JOB_NAME, partition_key, [list(key) for key in asset_keys], run_config
        )

    def launch_remap(self, partition_key: str) -> LaunchedRun:
        """Launch `remap_connector` for the partition: the stored payloads mapped again."""
        return self._launch(REMAP_JOB_NAME, partition_key, None, None)

    def _launch(
        self,
        job_name: str,
        partition_key: str,
        asset_selection: list[list[str]] | None,
        run_config: dict[str, Any] | None,
    ) -> LaunchedRun:
        run_id = self._call(
            lambda client: client.submit_job_execution(
                job_name,
                repository_location_name=CODE_LOCATION_NAME,
                repository_name=REPOSITORY_NAME,
                run_config=run_config,
                tags={PARTITION_TAG: partition_key, TRIGGER_TAG: TRIGGER},
                asset_selection=asset_selection,
            )
        )
        logger.info(
            "Launched Dagster run %s (%s) for connector %s", run_id, job_name, partition_key
        )
        return LaunchedRun(run_id=run_id, status=self._status_after_launch(run_id))

    def run_status(self, run_id: str) -> str:
        """Dagster's status of the run: QUEUED, STARTED, SUCCESS, FAILURE, ..."""
        status = self._call(lambda client: client.get_run_status(run_id))
        return str(status.value)

    def _status_after_launch(self, run_id: str) -> str:
        # The run exists whatever this answers: a failure here must not turn a launched
        # sync into an error response.
        try:
            return self.run_status(run_id)
        except GoldsphereError:
            return UNKNOWN_STATUS

    def _client(self) -> _Client:
        # One client per call: gql clients hold a connection and are not thread-safe.
        transport = RequestsHTTPTransport(url=f"{self.base_url}/graphql", timeout=self._timeout)
        return _Client(self.base_url, transport=transport)

    def _call(self, action: Callable[[_Client], T]) -> T:
        try:
            return action(self._client())
        except DagsterGraphQLClientError as exc:
            raise self._translate(exc) from None
        except _Refused as exc:
            raise self._refused(exc.kind) from None
        except requests.RequestException as exc:
            raise self._unavailable(exc) from None

    def _translate(self, exc: DagsterGraphQLClientError) -> GoldsphereError:
        unreachable = _connection_failure(exc)
        if unreachable is not None:
            return self._unavailable(unreachable)
        # The client's first argument is Dagster's error type (JobNotFoundError, ...) or,
        # for an answer that was not GraphQL at all, a sentence holding the whole query.
        kind = str(exc.args[0]) if exc.args else ""
        if not kind.isidentifier():
            kind = type(exc.__cause__).__name__ if exc.__cause__ else "an unexpected answer"
        return self._refused(kind)

    def _refused(self, kind: str) -> DagsterRequestError:
        kind = kind[:80]
        logger.warning("Dagster refused a request: %s", kind)
        return DagsterRequestError(
            f"The Dagster webserver at {self.base_url} refused the request ({kind}). "
            f"Check that it loads the code location {CODE_LOCATION_NAME!r} with the job "
            f"{SYNC_JOB_NAME!r} (reload it in the Dagster UI), then try again."
        )

    def _unavailable(self, exc: BaseException) -> DagsterUnavailableError:
        logger.warning("Dagster is unreachable at %s: %s", self.base_url, type(exc).__name__)
        return DagsterUnavailableError(
            f"The Dagster webserver at {self.base_url} is not reachable, so the sync was not "
            "started. Start Dagster (`dagster dev` in the project folder) or set "
            "GOLDSPHERE_DAGSTER_URL to its address, then try again."
        )


def _connection_failure(exc: BaseException) -> BaseException | None:
    """The network failure behind `exc`, if any (the client wraps it once or twice)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, requests.ConnectionError | requests.Timeout | ConnectionError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
