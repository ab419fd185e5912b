"""`geo-service users …` and `geo-service keys …`: accounts for people, API keys for machines.

Run by whoever can reach the database, so each change is audited as `cli:<operating-system user>` with
the admin role. Secrets are never printed, except a new API key, once, on standard output.
"""

from __future__ import annotations

import getpass
import io
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection

from geo_service.authorization import AuditContext
from geo_service.cli_support import console, open_database
from geo_service.errors import GeoServiceError
from geo_service.services import accounts
from geo_service.settings import Settings

T = TypeVar("T")

users_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="""People who sign in to the editor console.

Roles (weakest first):
[bold]viewer[/] reads non-public fields and writes nothing;
[bold]editor[/] writes the facilities of its districts (--district, one or more);
[bold]admin[/] writes everything and manages accounts.

Examples:

  geo-service users create wang --role editor --district 滨城区

  geo-service users create zhao --role editor --district 371602 --district 沾化区

  geo-service users create ops --role admin --password-stdin < pass.txt

  geo-service users list

  geo-service users disable wang
""",
)
keys_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="""API keys for machines: send them as `Authorization: Bearer <key>` (never in a URL).

Only a hash is stored: the key is printed once, when it is created.

Examples:

  geo-service keys create --role editor --district 邹平市 --label "邹平 sync"

  geo-service keys list

  geo-service keys revoke 3
""",
)

Role = Annotated[str, typer.Option("--role", help="viewer | editor | admin")]
Districts = Annotated[
    list[str],
    typer.Option("--district", help="Adcode (371602) or name (滨城区); repeatable. Editors need one, admins none."),
]


def cli_context() -> AuditContext:
    """The audit actor of this command: `cli:<os user>`, acting as admin."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = "unknown"
    return AuditContext(actor=f"cli:{user}", role="admin")


def _in_transaction(action: Callable[[Connection], T]) -> T:
    """Run `action` in one transaction on GEO_DB_URL; a domain error exits 1 with its message."""
    with open_database() as db:
        try:
            with db.engine.begin() as conn:
                return action(conn)
        except GeoServiceError as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(1) from exc


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password (密码)", hide_input=True, confirmation_prompt=True, err=True))


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "–"


def _districts(adcodes: Sequence[str]) -> str:
    return ", ".join(adcodes) or "–"


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="Username: lower-case letters, digits, _ . @ - (stored lower-cased).")],
    role: Role,
    district: Districts = [],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
) -> None:
    """Create a user. The password is asked twice with hidden input (or read with --password-stdin).

    Example: geo-service users create wang --role editor --district 滨城区
    """
    policy = accounts.AccountPolicy.from_settings(Settings())
    password = _read_password(password_stdin)
    user = _in_transaction(
        lambda conn: accounts.create_user(
            conn, cli_context(), username=name, password=password, role=role, districts=district, policy=policy
        )
    )
    console.print(f"created user [bold]{user.username}[/] ({user.role}; districts: {_districts(user.districts)})")


@users_app.command("list")
def users_list() -> None:
    """List users: name, role, districts, disabled, created."""
    users = _in_transaction(accounts.list_users)
    table = Table("username", "role", "districts", "disabled", "created")
    for user in users:
        table.add_row(
            user.username,
            user.role,
            _districts(user.districts),
            "yes" if user.disabled else "no",
            _when(user.created_at),
        )
    typer.echo(_render(table))


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument(help="Username.")]) -> None:
    """Disable a user: its sign-ins and sessions are refused at once, on every worker.

    Example: geo-service users disable wang
    """
    user = _in_transaction(lambda conn: accounts.set_user_disabled(conn, cli_context(), name, True))
    console.print(f"user [bold]{user.username}[/] is disabled")


@users_app.command("enable")
def users_enable(name: Annotated[str, typer.Argument(help="Username.")]) -> None:
    """Enable a disabled user again."""
    user = _in_transaction(lambda conn: accounts.set_user_disabled(conn, cli_context(), name, False))
    console.print(f"user [bold]{user.username}[/] is enabled")


@users_app.command("set-password")
def users_set_password(
    name: Annotated[str, typer.Argument(help="Username.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read it from standard input.")] = False,
) -> None:
    """Set a new password for a user (asked twice with hidden input)."""
    policy = accounts.AccountPolicy.from_settings(Settings())
    password = _read_password(password_stdin)
    user = _in_transaction(lambda conn: accounts.set_password(conn, cli_context(), name, password, policy))
    console.print(f"password of [bold]{user.username}[/] changed")


@keys_app.command("create")
def keys_create(
    role: Role,
    label: Annotated[str, typer.Option("--label", help="What the key is for, e.g. '邹平 sync job'.")],
    district: Districts = [],
) -> None:
    """Create an API key and print it ONCE on standard output (it cannot be shown again).

    Example: geo-service keys create --role editor --district 邹平市 --label "sync"
    """
    new = _in_transaction(
        lambda conn: accounts.create_key(conn, cli_context(), label=label, role=role, districts=district)
    )
    console.print(
        f"created API key {new.key.id} ({new.key.role}; districts: {_districts(new.key.districts)})\n"
        "[bold yellow]warning:[/] copy the key now — it is stored only as a hash and cannot be shown again "
        "(密钥只显示这一次)"
    )
    typer.echo(new.secret)


@keys_app.command("list")
def keys_list() -> None:
    """List keys: id, prefix, label, role, districts, revoked, last used (never the key itself)."""
    keys = _in_transaction(accounts.list_keys)
    table = Table("id", "prefix", "label", "role", "districts", "revoked", "last used")
    for key in keys:
        table.add_row(
            str(key.id),
            f"{key.key_prefix}…",
            key.label,
            key.role,
            _districts(key.districts),
            _when(key.revoked_at) if key.revoked else "no",
            _when(key.last_used_at),
        )
    typer.echo(_render(table))


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[int, typer.Argument(metavar="ID", help="Key id, as `keys list` shows it.")]) -> None:
    """Revoke a key: the next request with it gets 401, on every worker.

    Example: geo-service keys revoke 3
    """
    key = _in_transaction(lambda conn: accounts.revoke_key(conn, cli_context(), key_id))
    console.print(f"API key {key.id} ({key.label}) is revoked")


def _render(table: Table) -> str:
    """A table as plain text for standard output (pipe- and test-friendly, no colour codes)."""
    buffer = io.StringIO()
    Console(file=buffer, width=200, color_system=None).print(table)
    return buffer.getvalue().rstrip("\n")
