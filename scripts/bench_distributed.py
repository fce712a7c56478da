"""One process against two: `rna3d predict` alone and under `torchrun --nproc_per_node 2`, same inputs and seed.

Usage (from the repo root):
    OMP_NUM_THREADS=1 OPENMM_CPU_THREADS=1 .venv/bin/python scripts/bench_distributed.py            # demo + fixtures, a few minutes
    OMP_NUM_THREADS=1 OPENMM_CPU_THREADS=1 .venv/bin/python scripts/bench_distributed.py --casp15   # also CASP15 validation, templates
Writes benchmarks/distributed/distributed.txt (stamped): per case, wall seconds of each run, whether the submission and every
model file are byte-identical, and whether the report lists the same targets in the same order. Each run starts a
fresh Python (and torchrun its two workers), so the seconds include start-up; on a machine whose cores are shared
with other work the speed-up says little, the byte comparison is the result.
"""
from __future__ import annotations

import argparse
import filecmp
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from rna3d_kit.core import fixtures_dir, package_data_dir, repo_dir, shared_dir

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import result_path, write_text


def cases(casp15: bool) -> dict[str, list[str]]:
    """Case name -> `rna3d predict` arguments (without the output paths)."""
    demo, fixtures = package_data_dir() / 'demo' / 'demo_sequences.csv', fixtures_dir() / 'data' / 'kaggle_part1'
    out = {'demo, baseline, models unminimised': [str(demo), '--method', 'baseline', '--minimise', 'off', '--pdb'],
           'demo, baseline, models minimised': [str(demo), '--method', 'baseline', '--minimise', 'on', '--pdb'],
           'fixtures, templates': [str(fixtures / 'validation_sequences.csv'), '--method', 'templates', '--data', str(fixtures)]}
    if casp15:
        data = shared_dir() / 'data' / 'kaggle_part1'
        out['CASP15 validation, templates'] = [str(data / 'validation_sequences.csv'), '--method', 'templates', '--data', str(data)]
    return out


def run(args: list[str], out: Path, processes: int, env: dict) -> float:
    """Wall seconds of one `rna3d predict` into `out` (one process, or torchrun with `processes`)."""
    pdb = args[-1] == '--pdb'
    argv = [*(args[:-1] if pdb else args), '-o', str(out / 'submission.csv'), '--seed', '11', '-q',
            *(['--pdb-dir', str(out / 'models')] if pdb else [])]
    launcher = [sys.executable] if processes == 1 else [sys.executable, '-m', 'torch.distributed.run', '--standalone',
                                                       '--nproc_per_node', str(processes)]
    t0 = time.perf_counter()
    r = subprocess.run([*launcher, '-m', 'rna3d_kit.cli', 'predict', *argv], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - t0
    if r.returncode != 0: raise SystemExit(f'{shlex.join(r.args)} failed ({r.returncode}):\n{r.stderr[-3000:]}')
    return seconds


def same_models(a: Path, b: Path) -> str:
    """'yes (N files)' when both folders hold the same files, byte for byte; else what differs; '-' without models."""
    if not a.exists() and not b.exists(): return '-'
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()): return 'no (different file names)'
    _, differ, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return f'yes ({len(names)} files)' if not differ and not errors else f'no ({len(differ) + len(errors)} of {len(names)} differ)'


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--casp15', action='store_true', help='also the CASP15 validation of the shared kaggle_part1 with templates (slow)')
    ap.add_argument('--processes', type=int, default=2)
    ap.add_argument('--out', default=str(result_path('distributed', 'distributed.txt')))
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix='bench_distributed_'))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [str(repo_dir()), os.environ.get('PYTHONPATH', '')] if p),
               OMP_NUM_THREADS=os.environ.get('OMP_NUM_THREADS', '1'), RNA3D_CACHE=str(work / 'cache'))
    env.pop('WORLD_SIZE', None)
    lines = [f'rna3d predict, 1 process vs {args.processes} (torchrun --standalone --nproc_per_node {args.processes}, gloo on CPU), seed 11; '
             f'OMP_NUM_THREADS={env["OMP_NUM_THREADS"]}, OPENMM_CPU_THREADS={os.environ.get("OPENMM_CPU_THREADS", "unset (1)")}',
             'the template cache is built by the first run of a case that needs it (the 1-process run) and read by the next', '']
    rows = []
    for k, (name, case) in enumerate(cases(args.casp15).items()):
        one, many = work / f'{k}_one', work / f'{k}_many'
        t1, tn = run(case, one, 1, env), run(case, many, args.processes, env)
        sub = (one / 'submission.csv').read_bytes() == (many / 'submission.csv').read_bytes()
        reports = [pd.read_csv(d / 'submission_report.csv') for d in (one, many)]
        rows.append(dict(case=name, targets=len(reports[0]), seconds_1=round(t1, 1), **{f'seconds_{args.processes}': round(tn, 1)},
                         submission_identical='yes' if sub else 'no', models_identical=same_models(one / 'models', many / 'models'),
                         report_order_same='yes' if list(reports[0].target_id) == list(reports[1].target_id) else 'no'))
        print(rows[-1], flush=True)
    lines.append(pd.DataFrame(rows).to_string(index=False))
    command = 'OMP_NUM_THREADS=1 OPENMM_CPU_THREADS=1 python ' + shlex.join(sys.argv)
    write_text(args.out, '\n'.join(lines) + '\n', command)
    print(Path(args.out).read_text())


if __name__ == '__main__':
    main()
