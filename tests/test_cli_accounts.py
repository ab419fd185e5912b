"""`geo-service users …` and `geo-service keys …` on a fresh SpatiaLite file."""

from __future__ import annotations

import getpass

import pytest
from typer.testing import CliRunner

from geo_service.cli import app
from geo_service.db.engine import make_engine
from geo_service.errors import Unauthenticated
from geo_service.queries import audit as audit_queries
from geo_service.services import accounts, authentication
from geo_service.settings import Settings

runner = CliRunner()
PASSWORD = "correct horse battery"


def _engine(url: str):
    return make_engine(Settings(db_url=url))


def test_users_create_with_a_prompted_password_then_list_and_disable(cli_db_url: str) -> None:
    result = runner.invoke(
        app,
        ["users", "create", "Wang", "--role", "editor", "--district", "滨城区", "--district", "371603"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    engine = _engine(cli_db_url)
    policy = accounts.AccountPolicy.from_settings(Settings(db_url=cli_db_url))
    try:
        principal = authentication.authenticate_password(engine, "wang", PASSWORD, "127.0.0.1", policy=policy)
        assert principal.districts == frozenset({"371602", "371603"})

        listed = runner.invoke(app, ["users", "list"])
        assert listed.exit_code == 0
        assert "wang" in listed.stdout and "371602, 371603" in listed.stdout and "editor" in listed.stdout

        assert runner.invoke(app, ["users", "disable", "wang"]).exit_code == 0
        with pytest.raises(Unauthenticated):
            authentication.authenticate_password(engine, "wang", PASSWORD, "127.0.0.1", policy=policy)
        assert "yes" in runner.invoke(app, ["users", "list"]).stdout
        assert runner.invoke(app, ["users", "enable", "wang"]).exit_code == 0
        assert authentication.authenticate_password(engine, "wang", PASSWORD, "127.0.0.1", policy=policy)

        with engine.connect() as conn:
            events = audit_queries.list_audit(conn, entity="app_user")
        assert [e.action for e in events] == ["user.enable", "user.disable", "user.create"]
        assert {e.actor for e in events} == {f"cli:{getpass.getuser()}"}
    finally:
        engine.dispose()


def test_users_create_refuses_mismatched_prompts(cli_db_url: str) -> None:
    result = runner.invoke(
        app,
        ["users", "create", "li", "--role", "viewer"],
        input=f"{PASSWORD}\nsomething else!\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output  # typer asks again until both entries match
    assert "do not match" in result.output
    listed = runner.invoke(app, ["users", "list"]).stdout
    assert listed.count(" li ") == 1


def test_users_create_password_stdin_and_clear_errors(cli_db_url: str) -> None:
    ok = runner.invoke(app, ["users", "create", "ops", "--role", "admin", "--password-stdin"], input=PASSWORD + "\n")
    assert ok.exit_code == 0, ok.output
    taken = runner.invoke(app, ["users", "create", "OPS", "--role", "admin", "--password-stdin"], input=PASSWORD)
    assert taken.exit_code == 1 and "taken" in taken.output
    bad = runner.invoke(
        app, ["users", "create", "x", "--role", "editor", "--district", "朝阳区", "--password-stdin"], input=PASSWORD
    )
    assert bad.exit_code == 1 and "朝阳区" in bad.output
    short = runner.invoke(app, ["users", "create", "y", "--role", "viewer", "--password-stdin"], input="short")
    assert short.exit_code == 1 and "password" in short.output
    missing = runner.invoke(app, ["users", "disable", "ghost"])
    assert missing.exit_code == 1 and "ghost" in missing.output


def test_keys_create_prints_the_secret_once_and_it_works_until_revoked(cli_db_url: str) -> None:
    result = runner.invoke(app, ["keys", "create", "--role", "editor", "--district", "邹平市", "--label", "邹平 sync"])
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("gsk_") and len(secret) == 47
    assert result.output.count(secret) == 1
    assert "cannot be shown again" in " ".join(result.stderr.split())

    listed = runner.invoke(app, ["keys", "list"])
    assert listed.exit_code == 0
    assert secret[:12] in listed.stdout and secret not in listed.stdout and secret[12:20] not in listed.stdout
    assert "邹平 sync" in listed.stdout and "371681" in listed.stdout

    engine = _engine(cli_db_url)
    try:
        with engine.begin() as conn:
            principal = authentication.authenticate_key(conn, secret)
        assert principal.role == "editor" and principal.districts == frozenset({"371681"})
        key_id = principal.actor.removeprefix("key:")
        revoke = runner.invoke(app, ["keys", "revoke", key_id])
        assert revoke.exit_code == 0, revoke.output
        with engine.begin() as conn, pytest.raises(Unauthenticated):
            authentication.authenticate_key(conn, secret)
        again = runner.invoke(app, ["keys", "revoke", key_id])
        assert again.exit_code == 1 and "already revoked" in again.output
        with engine.connect() as conn:
            actions = [e.action for e in audit_queries.list_audit(conn, entity="api_key")]
        assert actions == ["key.revoke", "key.create"]
    finally:
        engine.dispose()
    assert "UTC" in runner.invoke(app, ["keys", "list"]).stdout  # revoked at / last used


def test_keys_create_validates_role_and_districts(cli_db_url: str) -> None:
    assert runner.invoke(app, ["keys", "create", "--role", "root", "--label", "x"]).exit_code == 1
    no_district = runner.invoke(app, ["keys", "create", "--role", "editor", "--label", "x"])
    assert no_district.exit_code == 1 and "district" in no_district.output


@pytest.mark.parametrize(
    "command",
    [
        ["users"],
        ["users", "create"],
        ["users", "list"],
        ["users", "disable"],
        ["users", "enable"],
        ["users", "set-password"],
        ["keys"],
        ["keys", "create"],
        ["keys", "list"],
        ["keys", "revoke"],
    ],
)
def test_every_account_command_has_help_with_examples(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
    if len(command) == 1:
        assert "Examples" in result.output and "geo-service " + command[0] in result.output
