"""Editor console sessions, kept in the database.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09

A console sign-in creates a row keyed by the SHA-256 of a random 256-bit token; the browser holds the
token in an HttpOnly cookie. Keeping the session server-side (rather than in a signed cookie) makes
sign-out final — the row is deleted, so a copied cookie dies with it — works on every worker, and
needs no server secret to be safe (a signed cookie under the public development secret could be forged).
Each row carries the CSRF token of its forms and the times that bound it (idle and absolute expiry).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_console_session"),
    )
    op.create_index("ix_console_session_username", "console_session", ["username"])
    op.create_index("ix_console_session_last_seen_at", "console_session", ["last_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_console_session_last_seen_at", table_name="console_session")
    op.drop_index("ix_console_session_username", table_name="console_session")
    op.drop_table("console_session")
