"""Driving the web pages in-process: a browser of its own per user (a TestClient with its own
cookies, redirects not followed), signing in through the form, and the CSRF token of a page."""
from __future__ import annotations

import re

from fastapi.testclient import TestClient


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def browser(api, token: str | None = None, base_url: str = "http://testserver") -> TestClient:
    """A new browser on the app (its workers run in the Api's own client); signed in with `token`."""
    client = TestClient(api.client.app, base_url=base_url, follow_redirects=False)
    if token is not None:
        landed = sign_in(client, token)
        assert landed.status_code == 303, landed.text
    return client


def sign_in(client: TestClient, token: str, next_path: str = ""):
    form = client.get("/signin")
    assert form.status_code == 200
    return client.post("/signin", data={"csrf": csrf_of(form.text), "token": token, "next": next_path})


def post_form(client: TestClient, page: str, action: str, **fields):
    """Post a form from `page` (its CSRF token included), as the browser would."""
    return client.post(action, data={"csrf": csrf_of(client.get(page).text)} | fields)
