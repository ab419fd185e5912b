#!/usr/bin/env bash
# Install what geo_service needs on a Debian/Ubuntu machine, idempotently.
#
#   scripts/setup.sh              # SpatiaLite library + .venv with the package and its dev tools
#   scripts/setup.sh --postgis    # also PostgreSQL + PostGIS (for the test suite / production backend)
#   scripts/setup.sh --browser    # also Debian's chromium (+ a CJK font) for the map tests in a real browser
#
# System packages are installed with apt-get when running as root; otherwise the exact command to run
# is printed and the script stops. Python packages go into ./.venv (override with GEO_VENV).
set -euo pipefail
cd "$(dirname "$0")/.."

want_postgis=0
want_browser=0
for arg in "$@"; do
  case "$arg" in
    --postgis) want_postgis=1 ;;
    --browser) want_browser=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

VENV="${GEO_VENV:-.venv}"
PYTHON="${PYTHON:-python3}"
missing=()

have_spatialite() {
  ldconfig -p 2>/dev/null | grep -q mod_spatialite || ls /usr/lib/*/mod_spatialite.so >/dev/null 2>&1
}
have_chromium() {
  command -v chromium >/dev/null 2>&1
}
have_cjk_font() {
  fc-list :lang=zh 2>/dev/null | grep -q .
}
have_postgis() {
  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

have_spatialite || missing+=(libsqlite3-mod-spatialite)
"$PYTHON" -m venv --help >/dev/null 2>&1 || missing+=(python3-venv)
if [ "$want_postgis" = 1 ] && ! have_postgis; then
  missing+=(postgresql postgresql-15-postgis-3)
fi
if [ "$want_browser" = 1 ]; then
  have_chromium || missing+=(chromium)
  have_cjk_font || missing+=(fonts-wqy-microhei)  # screenshots of the Chinese pages stay readable
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "==> apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages. Run this, then run the command again:" >&2
    echo "    sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "==> creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.geo_service-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> installing Python dependencies into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
echo "==> ready: $VENV/bin/geo-service"
