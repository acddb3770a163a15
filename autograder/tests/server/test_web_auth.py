"""Signing in to the web pages with the token: a signed, HttpOnly, SameSite session cookie
(Secure over https), a CSRF token on every form, signing out; the refusals."""
from http.cookies import SimpleCookie

from fastapi.testclient import TestClient

from autograder.server.web.pages import COOKIE
from web_helpers import browser, csrf_of, sign_in


def cookie_attributes(response) -> dict:
    header = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE))
    morsel = SimpleCookie(header)[COOKIE]
    return {"httponly": bool(morsel["httponly"]), "samesite": morsel["samesite"].lower(),
            "secure": bool(morsel["secure"])}


def test_a_page_needs_a_signed_in_user(api):
    client = browser(api)
    answer = client.get("/submissions/1")
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=/submissions/1"


def test_signing_in_with_the_token_sets_a_signed_httponly_cookie_and_lands_on_the_right_page(api):
    client = browser(api)
    student = sign_in(client, api.student_token)
    assert student.status_code == 303 and student.headers["location"] == "/"
    assert cookie_attributes(student) == {"httponly": True, "samesite": "lax", "secure": False}
    home = client.get("/")
    assert home.status_code == 200 and "Demo student" in home.text and "hw1" in home.text
    staff = sign_in(browser(api), api.staff_token)
    assert staff.headers["location"] == "/staff"
    # where a page asked to go, but only on this site
    assert sign_in(browser(api), api.student_token, "/submissions/7").headers["location"] == "/submissions/7"
    for elsewhere in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert sign_in(browser(api), api.student_token, elsewhere).headers["location"] == "/"


def test_over_https_the_cookie_is_secure(api):
    client = browser(api, base_url="https://testserver")
    assert cookie_attributes(sign_in(client, api.student_token))["secure"] is True


def test_a_wrong_token_is_refused_with_a_reason_and_signs_nobody_in(api):
    client = browser(api)
    answer = sign_in(client, "dlsys_not-a-token")
    assert answer.status_code == 401 and "This token is not valid" in answer.text
    assert sign_in(client, "").status_code == 401
    assert client.get("/").status_code == 303


def test_a_sign_in_without_the_forms_csrf_token_is_refused(api):
    client = browser(api)
    assert client.post("/signin", data={"token": api.student_token}).status_code == 403
    other = browser(api)
    stolen = csrf_of(other.get("/signin").text)  # another browser's token is no good here
    client.get("/signin")
    refused = client.post("/signin", data={"token": api.student_token, "csrf": stolen})
    assert refused.status_code == 403 and "CSRF" in refused.text
    assert client.get("/").status_code == 303


def test_a_tampered_cookie_signs_nobody_in(api):
    client = browser(api, api.student_token)
    value = client.cookies[COOKIE]
    payload, mac = value.rsplit(".", 1)
    client.cookies.set(COOKIE, payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac)
    assert client.get("/").status_code == 303


def test_signing_out_needs_the_csrf_token_and_ends_the_session(api):
    client = browser(api, api.student_token)
    assert client.post("/signout").status_code == 403
    assert client.get("/").status_code == 200  # still signed in
    home = client.get("/").text
    assert client.post("/signout", data={"csrf": csrf_of(home)}).status_code == 303
    assert client.get("/").status_code == 303


def test_the_secret_is_kept_under_home_and_sessions_survive_a_restart(api):
    from autograder.server.app import create_app

    client = browser(api, api.student_token)
    secret = api.service.settings.home / "session-secret"
    assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_text()) >= 40
    again = TestClient(create_app(api.service), follow_redirects=False, cookies=dict(client.cookies))
    assert again.get("/").status_code == 200
