#!/usr/bin/env bash
# Refresh constraints.txt: the exact versions of a green run, which README's install, .ci/run and
# kaggle_datasets/build_datasets.py all install with `-c constraints.txt`.
#
#   bash scripts/refresh_constraints.sh            # newest releases the ranges in settings.ini allow
#
# It installs the kit with every extra into a new venv WITHOUT the old constraints, runs the README test command
# there (and the shared-data lessons when ../shared exists), and only if they pass writes that venv's
# `pip freeze` as the new constraints.txt. Commit it with the versions in the message.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d /tmp/rna3d_constraints.XXXXXX)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q torch==2.13.0  # first: an unpinned torch pulls a CUDA build
"$venv/bin/pip" install -q -e ".[dev]"
"$venv/bin/nbdev_test" --n_workers 2
if [ -d "${RNA3D_SHARED:-../shared}/data" ]; then VENV="$venv" bash scripts/test_shared.sh; fi
{
  echo "# Exact versions of a green run (README test command passed with them), for pip's -c option."
  echo "# Written by scripts/refresh_constraints.sh on $(date -u +%Y-%m-%d) with $("$venv/bin/python" --version); do not edit by hand."
  # torch without its local tag (+cpu): the same constraint then admits the CUDA build a GPU machine installs first
  "$venv/bin/pip" freeze --exclude-editable | grep -v '^rna3d[-_]kit' | sed 's/^torch==\([^+]*\)+.*/torch==\1/'
} > constraints.txt.new
mv constraints.txt.new constraints.txt
echo "wrote constraints.txt ($(grep -vc '^#' constraints.txt) packages)"
