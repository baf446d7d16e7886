# Sourced by scripts/serve and scripts/test: a virtualenv in .venv with the project installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "需要 Python 3.11 或更高版本（当前：$("$PYTHON" --version 2>&1)）。可用 PYTHON=/path/to/python3.11 指定。" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
hash=$(sha1sum pyproject.toml | cut -c1-12)
stamp=.venv/.installed-$hash-${EXTRAS:-none}
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet ".${EXTRAS:+[$EXTRAS]}"
  # Stamps of other pyproject.toml versions are stale; other extras of this one are not.
  find .venv -maxdepth 1 -name '.installed-*' ! -name ".installed-$hash-*" -delete
  touch "$stamp"
fi
