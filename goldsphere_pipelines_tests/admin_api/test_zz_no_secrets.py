"""Runs last in this folder: no response, log record or Dagster file of the whole suite
holds a consumer key or secret, the JWT secret or the credentials key.

The earlier tests sent those secrets in requests (connector bodies, tokens, the sandbox's
keys used by real syncs); the ledger collected every response they got, every log record
at every level, and the Dagster webserver's log and instance files.
"""

from __future__ import annotations

import pytest

from goldsphere_pipelines_tests.admin_api.support import Ledger, SuiteSecrets

SUITE = {
    "test_auth",
    "test_connectors_api",
    "test_dagster_sync",
    "test_rules_api",
    "test_schemathesis",
    "test_sync_api",
}


def test_the_scan_finds_a_planted_secret(suite_secrets: SuiteSecrets) -> None:
    planted = Ledger()
    planted.logs.append(f"oops {suite_secrets.consumer_secret[3:]}")
    assert planted.leaks(suite_secrets) == ["consumer_secret (hex) in logs"]


def test_no_secret_reached_a_response_a_log_or_a_dagster_file(
    request: pytest.FixtureRequest, ledger: Ledger, suite_secrets: SuiteSecrets
) -> None:
    ran = {item.path.stem for item in request.session.items}
    if not SUITE.issubset(ran):
        pytest.skip("scans what the whole goldsphere_pipelines_tests/admin_api suite saw")
    # The ledger must have seen the suite's traffic, or an empty scan would pass.
    assert len(ledger.responses) >= 100
    assert ledger.requests_with_secrets >= 10
    assert ledger.logs
    assert ledger.files, "the Dagster webserver's log and instance files"
    assert ledger.leaks(suite_secrets) == []
