"""Methods compared under the same conditions on the CASP15 validation targets (the measurement behind DEFAULT_METHOD).

Usage (from the repo root, one thread):
    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_method.py
Writes benchmarks/pipeline/pipeline_method_<method>.csv per method (the table `rna3d evaluate` writes) and
pipeline_method.txt: mean best-of-5 TM (Part 2) and seconds per target of each method, seed 0, no time budget,
the predictor's C1' (no minimisation), and per target where each later method differs from the first.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from benchlib import result_path, write_csv, write_text
from rna3d_kit.pipeline.evaluate import evaluate
from rna3d_kit.pipeline.predict import DEFAULT_METHOD, default_data_dir

SAME = 0.0005  # TM differences below this count as equal


def compare(first, other) -> str:
    """Where `other` scores above, below or level with `first`, per target."""
    d = (other.set_index('target_id').tm - first.set_index('target_id').tm).dropna()
    up, down = d[d >= SAME], d[d <= -SAME]
    fmt = lambda s: ', '.join(f'{t} {v:+.3f}' for t, v in s.items())
    return (f'higher on {len(up)} ({fmt(up)}), lower on {len(down)} ({fmt(down)}), '
            f'equal on {len(d) - len(up) - len(down)}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--methods', default='templates,ensemble', help='comma-separated predictor names, the first the reference')
    ap.add_argument('--data', type=Path, default=None, help='Kaggle-layout folder (default: the shared kaggle_part1)')
    ap.add_argument('--out', default=str(result_path('pipeline', 'pipeline_method')), help='prefix of the output files')
    args = ap.parse_args()
    data = args.data or default_data_dir()
    methods = args.methods.split(',')
    tables = {}
    for m in methods:
        tables[m] = evaluate(data, 'validation', m, progress=False)
        write_csv(f'{args.out}_{m}.csv', tables[m])
    first = tables[methods[0]]
    lines = [f'CASP15 validation ({len(first)} targets), Part 2 best-of-5 TM, seed 0, no time budget, predictor C1\' '
             f'(DEFAULT_METHOD at this commit: {DEFAULT_METHOD!r})', '',
             'method     mean best-of-5 TM   s per target (wall)']
    lines += [f'{m:10s} {t.tm.mean():.4f}              {t.seconds.mean():.1f}' for m, t in tables.items()]
    lines += [''] + [f'{m} against {methods[0]}, per target: {compare(first, tables[m])}' for m in methods[1:]]
    write_text(args.out + '.txt', '\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
