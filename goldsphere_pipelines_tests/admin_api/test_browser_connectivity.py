"""Journey A in a real Chromium: an admin connects the sandbox shop on the Connectivity page.

Sign in, add the shop with a wrong secret (Test Connection fails and says so), fix it
(Test Connection passes), save the toggles, Run Sync Now (a real Dagster run), watch it
reach success with the shop's counts and a mapping error, sign out. No secret may reach
the HTML, the page source, the cookies or any network response. Then the refusals: no
session, a customer, a forged or expired token, a cross-site form post.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from goldsphere_pipelines.admin_api import create_app
from goldsphere_pipelines.admin_api.sign_in import WRONG_CREDENTIALS
from goldsphere_pipelines.admin_api.ui_session import SESSION_COOKIE
from goldsphere_pipelines.demo import seed_customers
from goldsphere_pipelines.sandbox import RunningSandbox
from goldsphere_pipelines_tests.admin_api.browser import (
    LiveServer,
    har_responses,
    screenshot_dir,
    serve_app,
)
from goldsphere_pipelines_tests.admin_api.dagster_webserver import RunningDagster
from goldsphere_pipelines_tests.admin_api.support import (
    Ledger,
    SuiteSecrets,
    insert_user,
    make_token,
)

pytestmark = pytest.mark.browser

PASSWORD = "Gold-and-silver-2026"
RUN_TIMEOUT_MS = 180_000
UI = "/admin/ui"


@pytest.fixture
def site(
    db: sa.Engine,
    credentials_key: str,
    suite_secrets: SuiteSecrets,
    dagster: RunningDagster,
) -> Iterator[LiveServer]:
    app: FastAPI = create_app(db, dagster_url=dagster.url, jwt_secret=suite_secrets.jwt_secret)
    with serve_app(app) as server:
        yield server


@pytest.fixture
def admin_email(db: sa.Engine) -> str:
    email = f"admin-{uuid.uuid4().hex[:6]}@goldsphere.test"
    insert_user(db, email=email, password=PASSWORD)
    return email


def sign_in(page: Any, site: LiveServer, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{site.url}{UI}/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_journey_a_connect_test_sync_and_sign_out(
    browser: Any,
    site: LiveServer,
    admin_email: str,
    shop: RunningSandbox,
    suite_secrets: SuiteSecrets,
    db: sa.Engine,
    ledger: Ledger,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    # Every customer but the first exists in goldsphere: that one's orders are the
    # mapping errors the page must show.
    emails = shop.store.customer_emails()
    seed_customers(db, emails[1:])
    shots = screenshot_dir(tmp_path)
    har_path = tmp_path / "journey-a.har"
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, record_har_path=str(har_path)
    )
    page = context.new_page()
    sources: list[str] = []

    def keep_source() -> None:
        sources.append(page.content())

    # No session: the page sends the admin to sign in.
    page.goto(f"{site.url}{UI}/connectors")
    expect(page).to_have_url(re.compile(r"/admin/ui/sign-in"))
    sign_in(page, site, admin_email, "wrong password")
    expect(page.get_by_role("alert")).to_have_text(WRONG_CREDENTIALS)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/ui/connectors$"))
    expect(page.get_by_text("coming later").first).to_be_visible()

    # Add the shop with the wrong secret.
    page.get_by_role("link", name="Add WooCommerce store").click()
    page.get_by_label("Store URL").fill(shop.base_url)
    page.get_by_label("Name").fill("browser-shop")
    page.get_by_label("Consumer key").fill(suite_secrets.consumer_key)
    page.get_by_label("Consumer secret").fill(suite_secrets.other_secret)
    page.screenshot(path=str(shots / "connectivity-add.png"), full_page=True)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    keep_source()

    page.get_by_role("button", name="Test Connection").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Connection failed.")
    expect(result).to_contain_text("consumer")
    keep_source()

    # The right pair, Orders off: saved and shown back.
    page.get_by_label("Consumer key").fill(suite_secrets.consumer_key)
    page.get_by_label("Consumer secret").fill(suite_secrets.consumer_secret)
    page.get_by_label("Orders").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("Orders")).not_to_be_checked()
    expect(page.get_by_label("Products")).to_be_checked()
    expect(page.get_by_label("Consumer secret")).to_have_value("")
    page.get_by_role("button", name="Test Connection").click()
    expect(result).to_contain_text("Connection works.")
    expect(result).to_contain_text("WooCommerce 8.9.1")
    expect(result).to_contain_text("currency USD")
    keep_source()

    # Orders back on (only the key-less fields change: the stored pair stays).
    page.get_by_label("Orders").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Orders")).to_be_checked()

    page.get_by_role("button", name="Run Sync Now").click()
    panel = page.locator("#run-panel")
    expect(panel).to_contain_text("in Dagster")
    expect(panel).to_have_attribute("data-run-status", "success", timeout=RUN_TIMEOUT_MS)
    # The page reloads once the run has ended; then the history lists it too.
    expect(page.locator("#recent-runs")).to_contain_text("success")
    connector_url = page.url.split("?")[0]
    # The rules doctor groups the same failures by cause, under the rules.
    doctor = page.get_by_role("region", name="Mapping doctor")
    expect(
        doctor.get_by_role("heading", name=re.compile(r"order field user, error user_not_found$"))
    ).to_be_visible()
    dagster_link = panel.get_by_role("link", name=re.compile(r"^Run \w+ in Dagster$"))
    expect(dagster_link).to_have_attribute("href", re.compile(r"/runs/[0-9a-f-]{36}$"))

    fetched = {
        (cell.get_attribute("data-step"), cell.get_attribute("data-count")): cell.inner_text()
        for cell in panel.locator(".count-value").all()
    }
    counts = shop.store.counts()
    assert fetched[("products extract", "fetched")] == str(
        counts["products"] + counts["variations"]
    )
    assert fetched[("orders extract", "fetched")] == str(counts["orders"])
    errors = panel.locator("ul.errors li")
    expect(errors.first).to_be_visible()
    expect(
        panel.get_by_role("link", name=re.compile(r"^All \d+ errors of this sync$"))
    ).to_be_visible()
    page.screenshot(path=str(shots / "connectivity-connector.png"), full_page=True)
    keep_source()

    panel.get_by_role("link", name=re.compile(r"^All \d+ errors")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Mapping errors"))).to_be_visible()
    expect(page.locator("td", has_text="user_not_found").first).to_be_visible()
    keep_source()

    page.goto(f"{site.url}{UI}/connectors")
    expect(page.get_by_role("link", name="browser-shop")).to_be_visible()
    expect(page.get_by_role("link", name="Run in Dagster")).to_be_visible()
    page.screenshot(path=str(shots / "connectivity-list.png"), full_page=True)
    keep_source()

    # At phone width nothing needs sideways scrolling.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{site.url}{UI}/connectors")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    page.screenshot(path=str(shots / "connectivity-phone.png"), full_page=True)
    page.goto(connector_url)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "the connector's page (its doctor groups too) scrolls sideways"
    page.set_viewport_size({"width": 1280, "height": 900})

    cookies = context.cookies()
    session = next(c for c in cookies if c["name"] == SESSION_COOKIE)
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Strict"

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")
    page.goto(f"{site.url}{UI}/connectors")
    expect(page).to_have_url(re.compile(r"/admin/ui/sign-in"))
    assert not any(c["name"] == SESSION_COOKIE for c in context.cookies())
    context.close()

    responses = har_responses(har_path)
    ledger.responses.extend(responses)
    looked_at = {
        "page sources": sources,
        "network responses": responses,
        "cookies": [repr(cookies)],
    }
    # The key is write-only too: typed in, never shown back.
    for secret in (
        suite_secrets.consumer_secret,
        suite_secrets.other_secret,
        suite_secrets.consumer_key,
    ):
        for where, texts in looked_at.items():
            assert not any(secret in text for text in texts), f"a secret is in the {where}"
            assert not any(secret[3:] in text for text in texts), f"a secret is in the {where}"


def test_a_customer_cannot_sign_in(browser: Any, site: LiveServer, db: sa.Engine) -> None:
    from playwright.sync_api import expect

    insert_user(db, email="buyer@goldsphere.test", role="customer", password=PASSWORD)
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, site, "buyer@goldsphere.test")
    expect(page.get_by_role("alert")).to_contain_text("only active goldsphere admins")
    assert not any(c["name"] == SESSION_COOKIE for c in context.cookies())
    page.goto(f"{site.url}{UI}/connectors")
    expect(page).to_have_url(re.compile(r"/admin/ui/sign-in"))
    context.close()


@pytest.mark.parametrize("kind", ["forged", "expired"])
def test_a_forged_or_expired_session_is_refused(
    browser: Any, site: LiveServer, db: sa.Engine, suite_secrets: SuiteSecrets, kind: str
) -> None:
    from playwright.sync_api import expect

    admin = insert_user(db)
    token = (
        make_token(suite_secrets, admin, secret="someone-elses-secret-" * 3)
        if kind == "forged"
        else make_token(suite_secrets, admin, expires_in=-3600)
    )
    context = browser.new_context()
    context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": f"{site.url}{UI}/"}])
    page = context.new_page()
    page.goto(f"{site.url}{UI}/connectors")
    expect(page).to_have_url(re.compile(r"/admin/ui/sign-in"))
    expect(page.get_by_role("status")).to_contain_text("Sign in again")
    context.close()


def test_a_cross_site_form_post_is_refused(
    browser: Any,
    site: LiveServer,
    admin_email: str,
    shop: RunningSandbox,
    db: sa.Engine,
    credentials_key: str,
    suite_secrets: SuiteSecrets,
) -> None:
    from playwright.sync_api import expect

    context = browser.new_context()
    page = context.new_page()
    sign_in(page, site, admin_email)
    expect(page).to_have_url(re.compile(r"/admin/ui/connectors$"))
    page.get_by_role("link", name="Add WooCommerce store").click()
    page.get_by_label("Store URL").fill(shop.base_url)
    page.get_by_label("Name").fill("target-shop")
    page.get_by_label("Consumer key").fill(suite_secrets.consumer_key)
    page.get_by_label("Consumer secret").fill(suite_secrets.consumer_secret)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    connector_url = page.url.split("?")[0]

    # Another site (another origin) posts to the page with the admin's cookie jar.
    attacker = FastAPI()

    @attacker.get("/")
    def lure() -> Any:
        from fastapi.responses import HTMLResponse

        return HTMLResponse(
            f'<form id="f" method="post" action="{connector_url}">'
            '<input name="sync_products" value="on"></form>'
            '<button id="go" form="f">Win a gold bar</button>'
        )

    with serve_app(attacker) as evil:
        lure_page = context.new_page()
        # Same site (another port of 127.0.0.1), so SameSite lets the cookie go along.
        lure_page.goto(evil.url)
        with lure_page.expect_navigation():
            lure_page.click("#go")
        expect(lure_page.get_by_role("alert")).to_contain_text(
            "not sent from the Connectivity page"
        )
    page.reload()
    expect(page.get_by_label("Orders")).to_be_checked()
    context.close()
