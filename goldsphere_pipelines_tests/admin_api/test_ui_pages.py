"""The Connectivity page over HTTP without a browser: sign-in, session, CSRF, forms.

The browser journeys (test_browser_*.py) walk the same pages in Chromium; these cover the
refusals and edge cases quickly, through the same app.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from goldsphere_pipelines.admin_api.sign_in import MAX_FAILURES, WRONG_CREDENTIALS
from goldsphere_pipelines.admin_api.ui_session import SESSION_COOKIE
from goldsphere_pipelines.connectors import doctor as doctor_service
from goldsphere_pipelines.sandbox import RunningSandbox
from goldsphere_pipelines_tests.admin_api.conftest import DOCTOR_GROUP, PRODUCER_GROUP, Api
from goldsphere_pipelines_tests.admin_api.support import (
    UI,
    Ledger,
    SuiteSecrets,
    bearer,
    csrf_of,
    insert_user,
    make_token,
    recording_client,
    sign_in,
)
from goldsphere_pipelines_tests.admin_api.support import (
    UI_PASSWORD as PASSWORD,
)


@pytest.fixture
def client(app: FastAPI, ledger: Ledger, suite_secrets: SuiteSecrets) -> TestClient:
    return recording_client(app, ledger, suite_secrets)


@pytest.fixture
def admin_email(api_engine: sa.Engine) -> str:
    email = f"admin-{uuid.uuid4().hex[:6]}@goldsphere.test"
    insert_user(api_engine, email=email, password=PASSWORD)
    return email


def open_connector_page(
    client: TestClient, api: Api, email: str, shop: RunningSandbox, name: str
) -> tuple[dict[str, Any], str, str]:
    """A new connector of the sandbox shop, signed in: (its summary, its page, CSRF token)."""
    connector: dict[str, Any] = api.add_connector(shop.base_url, name=name)
    page_path = f"{UI}/connectors/{connector['id']}"
    assert sign_in(client, email).status_code == 303
    return connector, page_path, csrf_of(client.get(page_path).text)


def test_without_a_session_every_page_redirects_to_sign_in(client: TestClient) -> None:
    for path in ("/", "/connectors", "/connectors/new", f"/connectors/{uuid.uuid4()}"):
        response = client.get(f"{UI}{path}", follow_redirects=False)
        assert response.status_code in (303, 307), path
        if path != "/":
            assert response.headers["location"].startswith(f"{UI}/sign-in"), path
    page = client.get(f"{UI}/connectors")
    assert page.url.path == f"{UI}/sign-in"
    assert "Sign in with your goldsphere admin account." in page.text


def test_signing_in_holds_the_api_token_in_a_strict_http_only_cookie(
    client: TestClient, admin_email: str
) -> None:
    response = sign_in(client, admin_email.upper())
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"{UI}/connectors"
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v
    )
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/admin/ui" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    # The very token the JSON API accepts.
    assert client.get("/admin/connectors", headers=bearer(token)).status_code == 200
    page = client.get(f"{UI}/connectors")
    assert page.status_code == 200
    assert admin_email in page.text
    assert "coming later" in page.text


def test_the_cookie_is_secure_over_https(
    app: FastAPI, admin_email: str, ledger: Ledger, suite_secrets: SuiteSecrets
) -> None:
    client = TestClient(app, base_url="https://testserver")
    response = sign_in(client, admin_email)
    assert response.status_code == 303
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v
    )
    assert "Secure" in cookie


def test_wrong_password_and_unknown_email_read_alike(client: TestClient, admin_email: str) -> None:
    wrong = sign_in(client, admin_email, "not the password")
    unknown = sign_in(client, "nobody@goldsphere.test", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    for response in (wrong, unknown):
        assert WRONG_CREDENTIALS in response.text
        assert SESSION_COOKIE not in client.cookies
    assert "not the password" not in wrong.text


def test_failed_sign_ins_are_rate_limited(client: TestClient, admin_email: str) -> None:
    for _ in range(MAX_FAILURES):
        assert sign_in(client, admin_email, "guess").status_code == 401
    # Now even the right password waits: the limit is on the address, not the guess.
    limited = sign_in(client, admin_email)
    assert limited.status_code == 429
    assert "Too many failed sign-ins" in limited.text
    assert SESSION_COOKIE not in client.cookies


def test_a_customer_account_is_refused(client: TestClient, api_engine: sa.Engine) -> None:
    insert_user(api_engine, email="customer@goldsphere.test", role="customer", password=PASSWORD)
    response = sign_in(client, "customer@goldsphere.test")
    assert response.status_code == 403
    assert "only active goldsphere admins" in response.text
    assert SESSION_COOKIE not in client.cookies


def test_a_customer_token_in_the_cookie_is_refused(
    client: TestClient, api_engine: sa.Engine, suite_secrets: SuiteSecrets
) -> None:
    customer = insert_user(api_engine, role="customer")
    client.cookies.set(
        SESSION_COOKIE, make_token(suite_secrets, customer, role="customer"), path=UI
    )
    response = client.get(f"{UI}/connectors", follow_redirects=False)
    assert response.status_code == 403
    assert "admin" in response.text


@pytest.mark.parametrize("kind", ["forged", "expired", "garbage"])
def test_forged_or_expired_tokens_are_refused(
    client: TestClient, api: Api, suite_secrets: SuiteSecrets, kind: str
) -> None:
    token = {
        "forged": make_token(suite_secrets, api.admin_id, secret="not-the-jwt-secret" * 3),
        "expired": make_token(suite_secrets, api.admin_id, expires_in=-3600),
        "garbage": "not.a.token",
    }[kind]
    client.cookies.set(SESSION_COOKIE, token, path=UI)
    response = client.get(f"{UI}/connectors", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{UI}/sign-in")


def test_form_posts_need_the_sessions_csrf_token(
    client: TestClient, api: Api, admin_email: str, shop: RunningSandbox
) -> None:
    connector = api.add_connector(shop.base_url, name="csrf-shop")
    assert sign_in(client, admin_email).status_code == 303
    target = f"{UI}/connectors/{connector['id']}/sync"
    for data, headers in (
        ({}, {}),
        ({"csrf_token": "0" * 64}, {}),
    ):
        refused = client.post(target, data=data, headers=headers, follow_redirects=False)
        assert refused.status_code == 403, refused.text
        assert "not sent from the Connectivity page" in refused.text
    page = client.get(f"{UI}/connectors/{connector['id']}")
    token = csrf_of(page.text)
    # The right token from another origin is refused too.
    cross = client.post(
        f"{UI}/connectors/{connector['id']}",
        data={"csrf_token": token, "sync_products": "on"},
        headers={"Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    assert api.get(f"/admin/connectors/{connector['id']}").json()["syncOrders"] is True


def test_sign_out_ends_the_session(client: TestClient, admin_email: str) -> None:
    assert sign_in(client, admin_email).status_code == 303
    page = client.get(f"{UI}/connectors")
    out = client.post(
        f"{UI}/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert out.status_code == 303
    assert SESSION_COOKIE not in client.cookies
    assert client.get(f"{UI}/connectors", follow_redirects=False).status_code == 303


def test_add_connector_shows_the_services_messages_beside_their_fields(
    client: TestClient, admin_email: str, suite_secrets: SuiteSecrets
) -> None:
    assert sign_in(client, admin_email).status_code == 303
    form = client.get(f"{UI}/connectors/new")
    response = client.post(
        f"{UI}/connectors",
        data={
            "csrf_token": csrf_of(form.text),
            "base_url": "http://127.0.0.1:9",
            "consumer_key": suite_secrets.consumer_secret,  # the secret in the key's field
            "consumer_secret": suite_secrets.consumer_secret,
            "sync_products": "on",
        },
    )
    assert response.status_code == 422
    assert 'id="consumer_key-error"' in response.text
    assert "this looks like the consumer secret" in response.text
    assert re.search(r'id="consumer_key"[^>]*aria-invalid="true"', response.text, re.S)
    assert suite_secrets.consumer_secret not in response.text
    bad_url = client.post(
        f"{UI}/connectors",
        data={
            "csrf_token": csrf_of(form.text),
            "base_url": "ftp://shop.example.com",
            "consumer_key": suite_secrets.consumer_key,
            "consumer_secret": suite_secrets.consumer_secret,
        },
    )
    assert bad_url.status_code == 422
    assert 'id="base_url-error"' in bad_url.text


def test_mapping_rules_are_listed_added_with_validation_and_removed(
    client: TestClient, api: Api, admin_email: str, shop: RunningSandbox
) -> None:
    connector, page_path, token = open_connector_page(client, api, admin_email, shop, "rules-shop")

    def post_rule(target_field: str, source_field: str = "name", transform: str = "") -> Any:
        return client.post(
            f"{page_path}/rules",
            data={
                "csrf_token": token,
                "entity_type": "product",
                "source_field": source_field,
                "target_field": target_field,
                "transform": transform,
            },
        )

    bad = post_rule("no_such_field")
    assert bad.status_code == 422
    assert "no_such_field" in bad.text
    not_json = post_rule("metal", transform="{map")
    assert not_json.status_code == 422
    assert 'id="transform-error"' in not_json.text
    good = post_rule(
        "metal",
        source_field="attributes[name=Metal].options[0]",
        transform='{"map": {"Gold": "Gold", "Silber": "Silver"}}',
    )
    assert good.status_code == 200, good.text
    assert "attributes[name=Metal].options[0] → metal" in good.text
    rules = api.get(f"/admin/connectors/{connector['id']}/rules").json()["items"]
    assert len(rules) == 1
    removed = client.post(f"{page_path}/rules/{rules[0]['id']}/remove", data={"csrf_token": token})
    assert removed.status_code == 200
    assert api.get(f"/admin/connectors/{connector['id']}/rules").json()["items"] == []


def test_pages_forbid_framing_and_inline_script(client: TestClient) -> None:
    response = client.get(f"{UI}/sign-in")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script>" not in response.text


def test_a_ca_bundle_upload_goes_through_the_services_check(
    client: TestClient, api: Api, admin_email: str, shop: RunningSandbox
) -> None:
    connector, page_path, token = open_connector_page(client, api, admin_email, shop, "bundle-shop")
    response = client.post(
        page_path,
        data={"csrf_token": token, "sync_products": "on", "sync_orders": "on"},
        files={"ca_bundle": ("ca.pem", b"-----BEGIN CERTIFICATE-----\nnot one\n", "text/plain")},
    )
    assert response.status_code == 422
    assert 'id="ca_bundle-error"' in response.text
    assert "only to https:// stores" in response.text
    assert api.get(f"/admin/connectors/{connector['id']}").json()["hasCaBundle"] is False


def test_saving_without_key_and_secret_keeps_the_stored_pair(
    client: TestClient, api: Api, admin_email: str, shop: RunningSandbox
) -> None:
    connector, page_path, token = open_connector_page(client, api, admin_email, shop, "keep-shop")
    saved = client.post(
        page_path,
        data={"csrf_token": token, "sync_products": "on"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    summary = api.get(f"/admin/connectors/{connector['id']}").json()
    assert summary["syncOrders"] is False
    test = api.post(f"/admin/connectors/{connector['id']}/test")
    assert test.json()["success"] is True, test.text
    only_key = client.post(
        page_path,
        data={"csrf_token": token, "consumer_key": api.secrets.other_key, "sync_products": "on"},
    )
    assert only_key.status_code == 422
    assert "Give both the consumer key and the consumer secret" in only_key.text


def test_an_unreadable_form_gets_a_page_not_the_input_back(
    client: TestClient, admin_email: str
) -> None:
    assert sign_in(client, admin_email).status_code == 303
    token = csrf_of(client.get(f"{UI}/connectors/new").text)
    response = client.post(
        f"{UI}/connectors", data={"csrf_token": token, "consumer_secret": "cs_" + "f" * 600}
    )
    assert response.status_code == 422
    assert "The form could not be read" in response.text
    assert "f" * 600 not in response.text


def test_the_sign_in_page_says_only_its_own_notices(client: TestClient) -> None:
    crafted = client.get(f"{UI}/sign-in", params={"notice": "Call +1 555 0100 for help"})
    assert "555 0100" not in crafted.text
    own = client.get(f"{UI}/sign-in", params={"notice": "signed-out"})
    assert "You are signed out." in own.text


def _doctor_groups(page: str) -> dict[str, str]:
    """Each doctor group's markup on the page, by the group id its Apply form (or its
    text) names."""
    articles = page.split('<article class="doctor-group"')[1:]
    found = {}
    for article in articles:
        named = re.search(r"\(group <code>([^<]+)</code>\)", article)
        assert named, article
        found[named.group(1)] = article.split("</article>")[0]
    return found


def test_the_doctors_groups_show_cause_count_examples_proposal_and_preview(
    client: TestClient, api: Api, admin_email: str, doctor_connector: dict[str, Any]
) -> None:
    assert sign_in(client, admin_email).status_code == 303
    page = client.get(f"{UI}/connectors/{doctor_connector['id']}")
    assert page.status_code == 200
    assert 'id="doctor-heading"' in page.text
    report = doctor_service.diagnose(api.engine, doctor_connector["name"])
    shown = _doctor_groups(page.text)
    assert list(shown) == [group.id for group in report.groups]
    for group in report.groups:
        article = shown[group.id]
        heading = f'id="doctor-group-{group.number}">{group.number}. {group.entity} field '
        assert heading in article
        assert f"<code>{escape(group.field)}</code>, error <code>{group.code}</code>" in article
        assert f'<span class="count-value">{group.count}</span>' in article
        assert 1 <= len(group.examples) <= 3
        for example in group.examples:
            assert f"<strong>{group.entity} {example.external_id}</strong>: " in article
            assert str(escape(example.message)) in article
        # A group no rule can fix has advice and nothing to apply.
        assert ("doctor/apply" in article) is (group.advice is None)
        if group.advice:
            assert str(escape(group.advice)) in article
    producer = report.group(PRODUCER_GROUP)
    assert producer.proposal is not None
    assert producer.preview is not None
    article = shown[PRODUCER_GROUP]
    assert str(escape(producer.explanation)) in article
    proposal = article.split("<h4>Proposal</h4>")[1]
    rule = re.search(
        r'<code>product: ([^<]+) → producer</code> <code class="muted">([^<]+)<', proposal
    )
    assert rule, proposal
    assert html.unescape(rule.group(1)) == producer.proposal.source_field
    assert json.loads(html.unescape(rule.group(2))) == producer.proposal.transform
    assert producer.proposal.transform["map"]["Perth"] == "Perth Mint"
    assert f"<caption>Preview: group {producer.number}" in article
    for figure in ("cause_fixed", "group_fixed", "mapped_before", "mapped_after", "changed"):
        value = getattr(producer.preview, figure)
        assert f'data-preview="{figure}">{value}</span>' in article, figure
    assert producer.preview.group_fixed == producer.count
    # The status group has no rule until the admin names a value: its field says so.
    status = shown[DOCTOR_GROUP]
    assert "(needed)" in status
    assert re.search(r'<label for="doctor-value-\d+">Value', status)


def test_applying_a_doctor_group_saves_its_rule_and_says_the_remap_was_not_launched(
    client: TestClient, api: Api, admin_email: str, doctor_connector: dict[str, Any]
) -> None:
    assert sign_in(client, admin_email).status_code == 303
    page_path = f"{UI}/connectors/{doctor_connector['id']}"
    token = csrf_of(client.get(page_path).text)
    number = (
        doctor_service.diagnose(api.engine, doctor_connector["name"]).group(DOCTOR_GROUP).number
    )
    value_error = f'id="doctor-value-{number}-error"'

    def apply(data: dict[str, str]) -> Any:
        return client.post(f"{page_path}/doctor/apply", data=data, follow_redirects=False)

    def rules() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = api.get(
            f"/admin/connectors/{doctor_connector['id']}/rules"
        ).json()["items"]
        return items

    for refused in ({"group": DOCTOR_GROUP, "value": "pending"}, {"csrf_token": "0" * 64}):
        response = apply(refused)
        assert response.status_code == 403
        assert "not sent from the Connectivity page" in response.text
    needs_value = apply({"csrf_token": token, "group": DOCTOR_GROUP, "value": " "})
    assert needs_value.status_code == 409
    assert value_error in needs_value.text
    assert re.search(rf'id="doctor-value-{number}"[^>]*aria-invalid="true"', needs_value.text)
    assert "has no rule to apply" in needs_value.text
    not_a_status = apply({"csrf_token": token, "group": DOCTOR_GROUP, "value": "sent"})
    assert not_a_status.status_code == 422
    assert value_error in not_a_status.text
    assert "does not fit target &#39;order_status&#39;" in not_a_status.text
    assert 'value="sent"' in not_a_status.text  # the admin corrects what they typed
    unknown = apply({"csrf_token": token, "group": "product.nothing.here"})
    assert unknown.status_code == 404
    assert 'id="doctor-error"' in unknown.text
    assert "has no failure group" in unknown.text
    assert rules() == []

    applied = apply({"csrf_token": token, "group": DOCTOR_GROUP, "value": "pending"})
    assert applied.status_code == 200, applied.text
    (rule,) = rules()
    assert rule["targetField"] == "order_status"
    assert rule["transform"]["map"]["wc-awaiting-bank"] == "pending"
    assert 'id="doctor-applied"' in applied.text
    assert f"order: {rule['sourceField']} → order_status" in applied.text
    # Dagster is down here: the rule is saved and the page says why nothing re-maps yet.
    assert 'id="doctor-remap-error"' in applied.text
    assert "Dagster" in applied.text.split('id="doctor-remap-error"')[1].split("</div>")[0]
    assert f'action="{page_path}/rules/{rule["id"]}/remove"' in applied.text

    producer = apply({"csrf_token": token, "group": PRODUCER_GROUP})
    assert producer.status_code == 200, producer.text
    assert {r["targetField"] for r in rules()} == {"order_status", "producer"}


def test_a_saved_rule_and_its_remap_run_come_back_from_the_link_alone(
    client: TestClient, api: Api, admin_email: str, doctor_connector: dict[str, Any]
) -> None:
    """After Apply the page redirects to `?applied=<rule id>&run=<run id>`: it names the rule
    only when the connector has it, and follows the run."""
    applied = doctor_service.apply_fix(api.engine, doctor_connector["name"], PRODUCER_GROUP)
    assert sign_in(client, admin_email).status_code == 303
    run_id = str(uuid.uuid4())
    page_path = f"{UI}/connectors/{doctor_connector['id']}"
    page = client.get(page_path, params={"applied": str(applied.rule.id), "run": run_id})
    flash = page.text.split('id="doctor-applied"')[1].split("</div>")[0]
    assert "attributes[name=Producer].options[0]" in flash
    assert f"/runs/{run_id}" in flash
    assert f"run {run_id[:8]} of remap_connector" in flash
    # The run panel follows the remap run in the doctor's section.
    assert page.text.index('id="run-panel"') > page.text.index('id="doctor-heading"')
    other = client.get(page_path, params={"applied": str(uuid.uuid4())})
    assert 'id="doctor-applied"' not in other.text


def test_a_syncs_counts_are_its_figures_not_its_sample_records(
    client: TestClient, api: Api, admin_email: str, doctor_connector: dict[str, Any]
) -> None:
    (run,) = api.get(f"/admin/connectors/{doctor_connector['id']}/runs").json()["items"]
    products_map = run["stats"]["products_map"]
    assert products_map["sample"]
    assert products_map["mapping_report"]
    assert sign_in(client, admin_email).status_code == 303
    page = client.get(f"{UI}/connectors/{doctor_connector['id']}/runs/{run['id']}")
    counts = page.text.split('<table class="counts">')[1].split("</table>")[0]
    assert f"mapped {products_map['mapped']}</span>" in counts
    assert "sample" not in counts
    assert "mapping report" not in counts
