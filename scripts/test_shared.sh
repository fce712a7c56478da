#!/usr/bin/env bash
# The lessons that need the whole development data (cells marked `#| shared`), in the notebooks that have them.
# Needs $RNA3D_SHARED (default ../shared) and the venv $VENV (default .venv). `.ci/run` runs it after README's test
# command when that folder exists.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${RNA3D_SHARED:-../shared}"
[ -d "$shared/data" ] || { echo "test_shared: no development data at $shared (set RNA3D_SHARED)" >&2; exit 2; }
notebooks=$(grep -l '"#| shared' nbs/*.ipynb | xargs -n1 basename | sed 's/\.ipynb$//' | paste -sd'|')
exec "${VENV:-.venv}/bin/nbdev_test" --n_workers 2 --timing --flags shared --file_re "^(${notebooks})\.ipynb$" "$@"
