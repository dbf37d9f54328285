"""The skeleton serves: sign-in page, setup link, home page."""

from helpers.forms import csrf_token
from helpers.instance import PASSWORD


def test_home_redirects_to_signin(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/signin" in response.headers["Location"]


def test_setup_then_signin_reaches_home(accounts, client):
    accounts.create("river")
    response = accounts.signin("river")
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert "river" in home.text


def test_wrong_password_and_unknown_handle_same_message(accounts, client):
    accounts.create("river")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/signin")
    wrong = client.post(
        "/signin",
        data={"handle": "river", "password": PASSWORD + "x", "csrf_token": csrf_token(page)},
    )
    unknown = client.post(
        "/signin", data={"handle": "nobody", "password": PASSWORD, "csrf_token": csrf_token(page)}
    )
    assert wrong.status_code == unknown.status_code == 200
    assert "Those sign-in details do not match" in wrong.text
    assert "Those sign-in details do not match" in unknown.text
