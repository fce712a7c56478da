"""CASP15 check of the written full-atom models: the same `rna3d predict --pdb-dir` command run twice.

Usage (from the repo root; the two runs go side by side, one thread each: 1-2 hours on 2 shared cores):
    OMP_NUM_THREADS=1 nohup .venv/bin/python scripts/bench_finish.py > /tmp/bench_finish.log 2>&1 &
Runs `rna3d predict <validation_sequences.csv> --method templates --minimise on --pdb-dir DIR -o DIR/submission.csv`
twice (two concurrent processes, same seed, the kit's default OpenMM threads), then
  * compares the two submissions and every model file byte by byte;
  * checks every written model with `fullatom.model_defects` (O3'–P over 2 Å, heavy-atom pairs more than 3 bonds
    apart under 2.2 Å, ring bonds over 0.3 Å off, inverted sugar centres) and reads `sound_models` of the report;
  * scores the submission (best-of-5 TM, Part 2 mode) against the validation labels.
Writes benchmarks/finishing/finish_casp15.txt (summary) and benchmarks/finishing/finish_casp15_models.csv (one row per model), both stamped.
Honest: the template search drops structures released on or after each target's temporal_cutoff (as `rna3d predict`
always does); labels are read only for scoring.
"""
from __future__ import annotations

import argparse
import filecmp
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchlib import result_path, write_csv, write_text
from rna3d_kit.core import shared_dir
from rna3d_kit.pipeline.evaluate import split_files
from rna3d_kit.geometry.fullatom import defects_text, is_sound, model_defects
from rna3d_kit.geometry.metric import mean_tm, score_submission
from rna3d_kit.io.structure import read_structure


def run_both(rna3d: Path, seqs: Path, data: Path, method: str, folders: list[Path], minimise: str) -> list[float]:
    """The same `rna3d predict --pdb-dir` command into each folder, as concurrent processes; their wall seconds."""
    t0, procs = time.perf_counter(), []
    for folder in folders:
        procs.append(subprocess.Popen([str(rna3d), 'predict', str(seqs), '-o', str(folder / 'submission.csv'), '--method', method,
                                       '--data', str(data), '--pdb-dir', str(folder / 'models'), '--minimise', minimise, '-q']))
    seconds = []
    for p in procs:
        if p.wait() != 0: raise SystemExit(f'rna3d predict failed with status {p.returncode}')
        seconds.append(time.perf_counter() - t0)
    return seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--data', default=None, help='Kaggle-layout folder (default: shared kaggle_part1)')
    ap.add_argument('--method', default='templates')
    ap.add_argument('--minimise', default='on', choices=['on', 'auto', 'off'])
    ap.add_argument('--work', default=None, help='folder for the two runs (default: a new temporary folder)')
    ap.add_argument('--out', default=str(result_path('finishing', 'finish_casp15')))
    args = ap.parse_args()
    data = Path(args.data) if args.data else shared_dir() / 'data' / 'kaggle_part1'
    seqs, labs = split_files(data, 'validation')
    work = Path(args.work or tempfile.mkdtemp(prefix='bench_finish_'))
    rna3d = Path(sys.executable).parent / 'rna3d'
    runs = [work / 'run1', work / 'run2']
    seconds = run_both(rna3d, seqs, data, args.method, runs, args.minimise)

    same_submission = filecmp.cmp(runs[0] / 'submission.csv', runs[1] / 'submission.csv', shallow=False)
    files = sorted(p.name for p in (runs[0] / 'models').iterdir())
    differing = [f for f in files if not (runs[1] / 'models' / f).exists()
                 or not filecmp.cmp(runs[0] / 'models' / f, runs[1] / 'models' / f, shallow=False)]
    report = pd.read_csv(runs[0] / 'submission_report.csv')
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        for f in files:
            s = read_structure(runs[0] / 'models' / f)[0]
            d = model_defects(s)
            rows.append(dict(file=f, target_id=f.rsplit('_', 1)[0], model=int(Path(f).stem.rsplit('_', 1)[1]), n=s.n,
                             full_atom=not s.is_c1_only, sound=is_sound(d), **d))
    models = pd.DataFrame(rows)
    scores = score_submission(pd.read_csv(runs[0] / 'submission.csv'), pd.read_csv(labs))
    full = models[models.full_atom]
    order_ok = all((g.sort_values('model').sound.to_numpy()[:-1] >= g.sort_values('model').sound.to_numpy()[1:]).all()
                   for _, g in full.groupby('target_id'))
    command = 'OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_finish.py' + (f' --method {args.method}' if args.method != 'templates' else '') \
        + (f' --minimise {args.minimise}' if args.minimise != 'on' else '')
    lines = [
        f'CASP15 validation ({len(scores)} targets, {report.length.min()}-{report.length.max()} nt): the same command run twice',
        f'  rna3d predict {seqs.name} --method {args.method} --minimise {args.minimise} --pdb-dir DIR -o DIR/submission.csv --data <kaggle_part1>',
        f'  both runs side by side: {seconds[0] / 60:.1f} and {seconds[1] / 60:.1f} min (2 shared cores)',
        '',
        f'byte-identical submissions: {"yes" if same_submission else "NO"}; model files identical: '
        f'{len(files) - len(differing)} of {len(files)}' + (f' (differ: {", ".join(differing[:10])})' if differing else ''),
        '',
        f'written models: {len(models)}, full-atom {len(full)}; sound (model_defects finds nothing) {int(full.sound.sum())} of {len(full)}',
        f"  models with an O3'–P over 2 Å: {int((full.broken_links > 0).sum())} ({int(full.broken_links.sum())} links)",
        f'  models with heavy-atom pairs under 2.2 Å: {int((full.close_contacts > 0).sum())} ({int(full.close_contacts.sum())} pairs)',
        f'  models with a ring bond over 0.3 Å off: {int((full.bad_ring_bonds > 0).sum())}; with an inverted sugar centre: {int((full.chirality_errors > 0).sum())}',
        f'  sound models ranked before unsound ones in every target: {"yes" if order_ok else "NO"}; '
        f'report sound_models total {int(report.sound_models.fillna(0).sum())}',
        '',
        f'mean best-of-5 TM (Part 2): {mean_tm(scores):.4f}',
        '',
        'per target: length, method, minimised, sound models, TM, finishing note',
        *[f'  {r.target_id:8s} {r.length:4d} nt {r.method:9s} min {r.minimised} sound {r.sound_models} '
          f'TM {scores.set_index("target_id").tm.get(r.target_id, np.nan):.4f} {r.finish_note if isinstance(r.finish_note, str) else ""}'
          for r in report.itertuples()],
    ]
    bad = full[~full.sound]
    if len(bad): lines += ['', 'unsound models:', *[f'  {r.file}: {defects_text({k: getattr(r, k) for k in ("broken_links", "close_contacts", "bad_ring_bonds", "chirality_errors")})}'
                                                     for r in bad.itertuples()]]
    write_text(args.out + '.txt', '\n'.join(lines) + '\n', command)
    write_csv(args.out + '_models.csv', models, command)
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
