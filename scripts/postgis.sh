#!/usr/bin/env bash
# Start (or stop) a throw-away PostgreSQL + PostGIS cluster on loopback for tests and local work.
#
#   scripts/postgis.sh start   # prints the GEO_TEST_POSTGIS_URL to use
#   scripts/postgis.sh stop
#   scripts/postgis.sh url
#
# No Docker: uses Debian's postgresql-15-postgis-3 (installed by scripts/setup.sh --postgis).
# PostgreSQL refuses to run as root, so when we are root the cluster belongs to the `postgres` user.
# Settings: GEO_PG_DIR (data directory, default /tmp/geo_service-pg), GEO_PG_PORT (default 54329).
set -euo pipefail

PG_BIN="${GEO_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
PG_DIR="${GEO_PG_DIR:-/tmp/geo_service-pg}"
PG_PORT="${GEO_PG_PORT:-54329}"
DB_NAME="geo_test"
URL="postgresql+psycopg://geo:geo@127.0.0.1:${PG_PORT}/${DB_NAME}"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL not found; run: sudo scripts/setup.sh --postgis" >&2; exit 1; }
  if [ ! -s "$PG_DIR/PG_VERSION" ]; then
    mkdir -p "$PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$PG_DIR"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" status >/dev/null 2>&1; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p ${PG_PORT} -k ${PG_DIR} -c fsync=off -c synchronous_commit=off" >/dev/null
  fi
  psql_admin() { PGOPTIONS=--client-min-messages=warning as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qtA "$@"; }
  if [ -z "$(psql_admin -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname='geo'")" ]; then
    psql_admin -d postgres -c "CREATE ROLE geo LOGIN PASSWORD 'geo' SUPERUSER"
  fi
  if [ -z "$(psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname='${DB_NAME}'")" ]; then
    psql_admin -d postgres -c "CREATE DATABASE ${DB_NAME} OWNER geo"
  fi
  psql_admin -d "$DB_NAME" -c "CREATE EXTENSION IF NOT EXISTS postgis"
  echo "$URL"
}

stop() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast stop >/dev/null 2>&1 || true
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
