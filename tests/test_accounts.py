"""Users and API keys on both backends: creation rules, authentication, revocation, audit rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from geo_service.authorization import AuditContext, Principal
from geo_service.db.models import ApiKey, AppUser
from geo_service.errors import Conflict, InvalidParameter, NotFound, Unauthenticated
from geo_service.queries import audit as audit_queries
from geo_service.services import accounts, authentication
from geo_service.services import setup as setup_service
from tests.databases import DATA_DIR

BY = AuditContext(actor="cli:tester", role="admin", request_id="req-1", address="127.0.0.1")
POLICY = accounts.AccountPolicy(max_failures=5, window=timedelta(minutes=15), secret="x" * 32, password_min_length=12)
PASSWORD = "correct horse battery"


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    setup_service.prepare(empty_engine, DATA_DIR, sample=False)
    return empty_engine


def _user(engine: Engine, name: str = "wang", role: str = "editor", districts: tuple[str, ...] = ("滨城区",)):
    with engine.begin() as conn:
        return accounts.create_user(
            conn, BY, username=name, password=PASSWORD, role=role, districts=districts, policy=POLICY
        )


def _key(engine: Engine, role: str = "editor", districts: tuple[str, ...] = ("371681",)) -> accounts.NewKey:
    with engine.begin() as conn:
        return accounts.create_key(conn, BY, label="sync job", role=role, districts=districts)


def test_create_user_stores_an_argon2id_hash_and_audits_without_it(engine: Engine) -> None:
    user = _user(engine, name="  Wang ", districts=("滨城区", "371603", "371602"))
    assert (user.username, user.role, user.districts, user.disabled) == ("wang", "editor", ("371602", "371603"), False)
    with engine.connect() as conn:
        stored = conn.execute(select(AppUser.password_hash)).scalar_one()
        events = audit_queries.list_audit(conn, entity="app_user")
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert len(events) == 1
    event = events[0]
    assert (event.actor, event.role, event.action, event.entity_id) == (
        "cli:tester",
        "admin",
        "user.create",
        str(user.id),
    )
    assert (event.request_id, event.address, event.before) == ("req-1", "127.0.0.1", None)
    assert event.after == {"username": "wang", "role": "editor", "districts": ["371602", "371603"], "disabled": False}


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"role": "editor", "districts": ()}, "district"),  # an editor needs a district
        ({"role": "admin", "districts": ("371602",)}, "district"),  # an admin writes all of them
        ({"role": "editor", "districts": ("371600",)}, "district"),  # the city is not a county-level district
        ({"role": "editor", "districts": ("朝阳区",)}, "district"),
        ({"role": "owner", "districts": ()}, "role"),
        ({"role": "viewer", "districts": (), "password": "short"}, "password"),
        ({"role": "viewer", "districts": (), "username": "bad name"}, "username"),
    ],
)
def test_create_user_rejects_bad_input_naming_the_field(engine: Engine, kwargs: dict, parameter: str) -> None:
    values = {"username": "li", "password": PASSWORD, **kwargs}
    with engine.begin() as conn, pytest.raises(InvalidParameter) as caught:
        accounts.create_user(conn, BY, policy=POLICY, **values)
    assert caught.value.parameter == parameter


def test_a_taken_username_is_a_conflict_whatever_its_case(engine: Engine) -> None:
    _user(engine)
    with pytest.raises(Conflict):
        _user(engine, name="WANG")


def test_key_is_stored_as_its_sha256_only_and_authenticates(engine: Engine) -> None:
    new = _key(engine)
    with engine.connect() as conn:
        row = conn.execute(select(ApiKey.key_hash, ApiKey.key_prefix)).one()
    assert new.secret not in row.key_hash and row.key_prefix == new.secret[:12]
    with engine.begin() as conn:
        principal = authentication.authenticate_key(conn, new.secret)
    assert principal == Principal(actor=f"key:{new.key.id}", role="editor", districts=frozenset({"371681"}))


def test_key_use_is_recorded_at_most_once_a_minute(engine: Engine) -> None:
    new = _key(engine)
    t0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    for moment in (t0, t0 + timedelta(seconds=30), t0 + timedelta(seconds=61)):
        with engine.begin() as conn:
            authentication.authenticate_key(conn, new.secret, now=moment)
            last = accounts.list_keys(conn)[0].last_used_at
        expected = t0 + timedelta(seconds=61) if moment.second == 1 else t0
        assert last == expected


def test_a_revoked_key_is_refused_on_the_next_call_from_any_engine(engine: Engine, empty_db_url: str) -> None:
    from geo_service.db.engine import make_engine
    from geo_service.settings import Settings

    new = _key(engine)
    other_worker = make_engine(Settings(db_url=empty_db_url))
    try:
        with other_worker.begin() as conn:
            authentication.authenticate_key(conn, new.secret)
        with engine.begin() as conn:
            revoked = accounts.revoke_key(conn, BY, new.key.id)
        assert revoked.revoked and revoked.revoked_at is not None
        with other_worker.begin() as conn, pytest.raises(Unauthenticated) as caught:
            authentication.authenticate_key(conn, new.secret)
        assert caught.value.invalid_token
    finally:
        other_worker.dispose()
    with engine.connect() as conn:
        actions = [e.action for e in audit_queries.list_audit(conn, entity="api_key")]
    assert actions == ["key.revoke", "key.create"]


def test_revoking_twice_or_a_missing_key_is_an_error(engine: Engine) -> None:
    new = _key(engine)
    with engine.begin() as conn:
        accounts.revoke_key(conn, BY, new.key.id)
    with engine.begin() as conn, pytest.raises(Conflict):
        accounts.revoke_key(conn, BY, new.key.id)
    with engine.begin() as conn, pytest.raises(NotFound):
        accounts.revoke_key(conn, BY, 999)


@pytest.mark.parametrize("secret", ["", "gsk_", "not-a-key", "gsk_" + "A" * 43])
def test_malformed_or_unknown_keys_are_refused(engine: Engine, secret: str) -> None:
    _key(engine)
    with engine.begin() as conn, pytest.raises(Unauthenticated):
        authentication.authenticate_key(conn, secret)


def test_key_secret_never_reaches_the_audit_log(engine: Engine) -> None:
    new = _key(engine)
    with engine.connect() as conn:
        (event,) = audit_queries.list_audit(conn, entity="api_key")
    assert new.secret not in repr(event) and new.secret[12:] not in repr(event)
    assert event.after == {
        "label": "sync job",
        "key_prefix": new.secret[:12],
        "role": "editor",
        "districts": ["371681"],
        "revoked": False,
    }


def test_password_sign_in_and_disabled_user(engine: Engine) -> None:
    _user(engine)
    principal = authentication.authenticate_password(engine, "Wang", PASSWORD, "10.0.0.1", policy=POLICY)
    assert principal == Principal("user:wang", "editor", frozenset({"371602"}))
    with engine.begin() as conn:
        accounts.set_user_disabled(conn, BY, "wang", True)
    with pytest.raises(Unauthenticated) as caught:
        authentication.authenticate_password(engine, "wang", PASSWORD, "10.0.0.1", policy=POLICY)
    assert str(caught.value) == authentication.WRONG_CREDENTIALS
    with engine.connect() as conn, pytest.raises(Unauthenticated):
        authentication.principal_for_user(conn, "wang")
    with engine.begin() as conn:
        accounts.set_user_disabled(conn, BY, "wang", False)
    with engine.connect() as conn:
        assert authentication.principal_for_user(conn, "wang").actor == "user:wang"
        actions = [e.action for e in audit_queries.list_audit(conn, entity="app_user")]
    assert actions == ["user.enable", "user.disable", "user.create"]


def test_wrong_password_and_unknown_user_get_the_same_answer(engine: Engine) -> None:
    _user(engine)
    messages = []
    for name, password in [("wang", "wrong password!"), ("nobody", PASSWORD)]:
        with pytest.raises(Unauthenticated) as caught:
            authentication.authenticate_password(engine, name, password, "10.0.0.2", policy=POLICY)
        messages.append(str(caught.value))
    assert messages == [authentication.WRONG_CREDENTIALS] * 2


def test_set_password_replaces_it_and_is_audited(engine: Engine) -> None:
    _user(engine)
    with engine.begin() as conn:
        accounts.set_password(conn, BY, "wang", "a brand new passphrase", POLICY)
    with pytest.raises(Unauthenticated):
        authentication.authenticate_password(engine, "wang", PASSWORD, "10.0.0.3", policy=POLICY)
    assert authentication.authenticate_password(engine, "wang", "a brand new passphrase", "10.0.0.3", policy=POLICY)
    with engine.connect() as conn:
        event = audit_queries.list_audit(conn, entity="app_user", actor="cli:tester", limit=1)[0]
    assert event.action == "user.password" and "a brand new" not in repr(event)


def test_disabling_a_missing_user_is_not_found_and_a_no_op_is_not_audited(engine: Engine) -> None:
    _user(engine)
    with engine.begin() as conn, pytest.raises(NotFound):
        accounts.set_user_disabled(conn, BY, "ghost", True)
    with engine.begin() as conn:
        accounts.set_user_disabled(conn, BY, "wang", False)  # already enabled
        assert audit_queries.count_audit(conn, entity="app_user") == 1
