# Sourced by scripts/serve and scripts/test: make sure .venv exists and holds the project.
# Re-installs only when pyproject.toml changed since the last install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
stamp=.venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)-${HUNT_EXTRAS:-test}
if [ ! -f "$stamp" ]; then
  echo "==> installing the project and its dependencies into .venv"
  # (grep drops the machine-wide pip config's warnings about absent local mirrors)
  .venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
  .venv/bin/python -m pip install --quiet -e ".[${HUNT_EXTRAS:-test}]" 2>&1 | { grep -v "^WARNING: Location" || true; }
  .venv/bin/python -c "import hunt, actors" || { echo "installation failed" >&2; exit 1; }
  rm -f .venv/.installed-*
  touch "$stamp"
fi
