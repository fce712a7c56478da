"""Run the benchmark cell of a notebook and stamp the files it wrote under benchmarks/.

Some measurements live in their lesson, as a cell marked `#| eval: false` (so the tests skip it) that writes a result
file. This runs such a notebook as `nbdev_test` does (in nbs/, cells marked `eval: false` or with a test flag of
settings.ini skipped), up to and including the named cell, which runs although it is marked; then every named output
must have been rewritten by that run, and each gets its stamp (`benchlib.stamp_file`).

Usage (from the repo root):
    .venv/bin/python scripts/bench_notebook.py NOTEBOOK CELL_ID OUTPUT [OUTPUT ...]
e.g. .venv/bin/python scripts/bench_notebook.py nbs/03_adjacency.ipynb c025 benchmarks/adjacency/adjacency_timing.csv
"""
from __future__ import annotations

import argparse
import configparser
import sys
from pathlib import Path

from benchlib import ROOT, stamp_file


def skip_flags() -> set[str]:
    """The test flags of settings.ini (cells carrying one are skipped by `nbdev_test`, and so here)."""
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / 'settings.ini')
    return set(cfg.get('DEFAULT', 'tst_flags', fallback='').split())


def run_to_cell(notebook: Path, cell_id: str):
    """Execute the notebook's code cells up to and including `cell_id`, as nbdev_test would, forcing that cell."""
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    from nbdev.frontmatter import FrontmatterProc
    from nbdev.process import NBProcessor
    nb = NBProcessor(notebook, procs=FrontmatterProc, process=True).nb
    if cell_id not in [c.get('id') for c in nb.cells]: sys.exit(f'bench_notebook: {notebook} has no cell {cell_id}')
    flags, reached = skip_flags(), False

    def skip(cell) -> bool:
        nonlocal reached
        if reached: return True  # nothing after the benchmark cell
        if cell.get('id') == cell_id:
            reached = True
            return False
        if cell.cell_type != 'code' or 'nbdev_export' + '(' in cell.source: return True
        directives = getattr(cell, 'directives_', {}) or {}
        return directives.get('eval:', [''])[0].lower() == 'false' or bool(flags & directives.keys())

    shell = CaptureShell(notebook)
    with working_directory(notebook.parent):
        try: shell.run_all(nb, exc_stop=True, preproc=skip)
        except BaseException:
            sys.stderr.write(shell.prettytb(fname=notebook) + '\n')
            raise


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('notebook', type=Path)
    ap.add_argument('cell_id', help="the benchmark cell's id")
    ap.add_argument('outputs', nargs='+', type=Path, help='files the cell writes (relative to the repo root)')
    args = ap.parse_args(argv)
    notebook = (ROOT / args.notebook).resolve()
    outputs = [(ROOT / p).resolve() for p in args.outputs]
    before = {p: p.stat().st_mtime_ns if p.exists() else None for p in outputs}
    run_to_cell(notebook, args.cell_id)
    stale = [str(p) for p in outputs if not p.exists() or p.stat().st_mtime_ns == before[p]]
    if stale: sys.exit(f'bench_notebook: cell {args.cell_id} did not write {", ".join(stale)}')
    for p in outputs: print('stamped', stamp_file(p))
    return 0


if __name__ == '__main__':
    sys.exit(main())
