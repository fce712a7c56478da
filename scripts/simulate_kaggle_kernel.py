#!/usr/bin/env python3
"""Rehearse the offline Kaggle kernel on this machine and check that it writes a valid submission.

    .venv/bin/python scripts/simulate_kaggle_kernel.py --bench-out benchmarks/kaggle_offline.txt

1. builds the datasets with kaggle_datasets/build_datasets.py (downloaded wheels cached between runs);
2. lays out ROOT/kaggle/input/<competition>/ (the 12 CASP15 validation targets of the shared Part 1 data as
   test_sequences.csv, their MSAs, the competition's train files for templates), ROOT/kaggle/input/<wheelhouse>/
   and ROOT/kaggle/input/<weights>/ under a temporary ROOT;
3. makes a fresh venv (with `--kaggle-preinstalled`: torch and transformers put in first, as in Kaggle's image, and
   left out of the wheelhouse) and runs the kernel's install cell in it, `pip install --no-index --find-links <wheelhouse>
   rna3d_kit`, with PIP_NO_INDEX=1, no pip configuration, an empty environment and, where `unshare -n` works, no
   network at all;
4. runs the kernel cell (`run_kernel(kaggle_paths())`) the same way, with HF_HUB_OFFLINE=1, TRANSFORMERS_OFFLINE=1
   and KAGGLE_IS_COMPETITION_RERUN=1, from ROOT/kaggle/working;
5. validates ROOT/kaggle/working/submission.csv with rna3d_kit.kaggle_io.validate_submission (in the fresh venv)
   and scores it against the validation labels (`--no-score` skips that); exits non-zero if anything failed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from rna3d_kit.core import shared_dir  # noqa: E402
from rna3d_kit.kaggle import COMPETITION, WEIGHTS, WHEELHOUSE  # noqa: E402

PASSED_THROUGH = ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'LANG', 'TZ')  # machine settings a kernel also has


def step(msg: str):
    print(f'[{dt.datetime.now():%H:%M:%S}] {msg}', flush=True)


def offline_prefix() -> tuple[list[str], str]:
    """Command prefix that runs a program without network (`unshare -n`), and how the network was cut."""
    unshare = shutil.which('unshare')
    if unshare and subprocess.run([unshare, '-n', 'true'], capture_output=True).returncode == 0:
        return [unshare, '-n'], 'network namespace without interfaces (unshare -n)'
    return [], 'no network namespace available: offline by --no-index/PIP_NO_INDEX and the offline HF variables only'


def kernel_env(root: Path, venv: Path) -> dict:
    """A nearly empty environment, like a fresh kernel's: no pip config, no index, no shared data, offline hubs."""
    env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    home = root / 'root'
    home.mkdir(parents=True, exist_ok=True)
    env.update(PATH=f'{venv / "bin"}:/usr/local/bin:/usr/bin:/bin', HOME=str(home), XDG_CACHE_HOME=str(home / '.cache'),
               PIP_NO_INDEX='1', PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK='1',
               HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1', KAGGLE_IS_COMPETITION_RERUN='1',
               RNA3D_KAGGLE_ROOT=str(root), OMP_NUM_THREADS='2', MPLBACKEND='Agg')
    return env


CPU_SECONDS = {}  # step name -> CPU seconds (user + system) of its processes: what the wall time would be on an idle core


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(cmd: list[str], log: Path, name: str = '', **kw) -> float:
    """Run `cmd` with its output appended to `log`; wall seconds taken; exits with the log's tail on failure."""
    t0, c0 = time.perf_counter(), children_cpu()
    with open(log, 'a', encoding='utf-8') as f:
        f.write(f'\n$ {" ".join(map(str, cmd))}\n'); f.flush()
        rc = subprocess.run(list(map(str, cmd)), stdout=f, stderr=subprocess.STDOUT, **kw).returncode
    if rc:
        tail = '\n'.join(log.read_text(encoding='utf-8').splitlines()[-25:])
        raise SystemExit(f'simulate_kaggle_kernel: step failed (exit {rc}): {" ".join(map(str, cmd))}\n{tail}\nfull log: {log}')
    if name: CPU_SECONDS[name] = children_cpu() - c0
    return time.perf_counter() - t0


def lay_out_competition(comp: Path, kaggle_dir: Path) -> list[str]:
    """The competition folder: validation targets as the test set, their MSAs, and the train files; target ids."""
    import pandas as pd
    comp.mkdir(parents=True)
    test = pd.read_csv(kaggle_dir / 'validation_sequences.csv', dtype=str, keep_default_na=False)
    test.to_csv(comp / 'test_sequences.csv', index=False)
    for name in ('train_sequences.csv', 'train_labels.csv'):  # what Kaggle ships beside the test set (template source)
        (comp / name).symlink_to(kaggle_dir / name)
    (comp / 'MSA').mkdir()
    for tid in test.target_id:
        msa = kaggle_dir / 'MSA' / f'{tid}.MSA.fasta'
        if msa.is_file(): (comp / 'MSA' / msa.name).symlink_to(msa)
    return list(test.target_id)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description='Simulate the offline Kaggle kernel end to end.')
    p.add_argument('--work', default=None, help='work folder (default: a new temporary folder, removed at the end)')
    p.add_argument('--cache', default=None, help='wheel cache passed to build_datasets.py')
    p.add_argument('--python', default=getattr(sys, '_base_executable', sys.executable), help='interpreter of the fresh venv')
    p.add_argument('--method', default=None, help='predictor (default: the kit default)')
    p.add_argument('--kaggle-preinstalled', action='store_true',
                   help='wheelhouse without torch/transformers; the venv gets them first, as the Kaggle image has them')
    p.add_argument('--no-score', dest='score', action='store_false', help='skip scoring against the validation labels')
    p.add_argument('--bench-out', default=None, help='write the measured numbers to this text file')
    p.add_argument('--keep', action='store_true', help='keep the work folder')
    args = p.parse_args(argv)
    started = time.perf_counter()
    work = Path(args.work or tempfile.mkdtemp(prefix='rna3d_kaggle_sim_')).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / 'simulate.log'
    numbers = {}
    try:
        kaggle_dir = shared_dir() / 'data' / 'kaggle_part1'
        step(f'1/5 building the datasets (log {log})')
        build_out = work / 'datasets'
        build = [sys.executable, REPO / 'kaggle_datasets' / 'build_datasets.py', '--out', build_out]
        build += ['--cache', args.cache] if args.cache else []
        build += ['--kaggle-preinstalled'] if args.kaggle_preinstalled else []
        numbers['build_s'] = run(build, log, 'build')
        summary = json.loads((build_out / 'build_summary.json').read_text())
        numbers.update(wheels=summary['wheelhouse']['wheels'], wheelhouse_mib=summary['wheelhouse']['mib'],
                       cache_was_warm=summary['cache_was_warm'], weights_models=summary['weights']['models'])

        step('2/5 laying out /kaggle/input under a temporary root')
        root = work / 'root'
        inp = root / 'kaggle' / 'input'
        ids = lay_out_competition(inp / COMPETITION, kaggle_dir)
        shutil.copytree(build_out / WHEELHOUSE, inp / WHEELHOUSE)
        shutil.copytree(build_out / WEIGHTS, inp / WEIGHTS)
        for d in (inp / WHEELHOUSE, inp / WEIGHTS):  # Kaggle mounts datasets read-only
            for f in d.rglob('*'): f.chmod(0o444 if f.is_file() else 0o555)
        (root / 'kaggle' / 'working').mkdir(parents=True)

        venv = work / 'venv'
        prefix, how = offline_prefix()
        env = kernel_env(root, venv)
        numbers['offline'] = how
        step(f'3/5 fresh venv + offline install ({how})')
        t0 = time.perf_counter()
        run([args.python, '-m', 'venv', venv], log)
        numbers['venv_s'] = time.perf_counter() - t0
        if args.kaggle_preinstalled:  # the image's own torch and transformers, from the build's wheel cache
            image = [*prefix, venv / 'bin' / 'python', '-m', 'pip', 'install', '--no-index', '--find-links', summary['cache'],
                     'torch==2.13.0', 'transformers']
            numbers['image_s'] = run(image, log, 'image', env=env)
        install = [*prefix, venv / 'bin' / 'python', '-m', 'pip', 'install', '--no-index', '--find-links', inp / WHEELHOUSE, 'rna3d_kit']
        numbers['install_s'] = run(install, log, 'install', env=env, cwd=root / 'kaggle' / 'working')
        numbers['venv_mib'] = sum(f.stat().st_size for f in venv.rglob('*') if f.is_file() and not f.is_symlink()) / 2**20

        step(f'4/5 running the kernel on {len(ids)} targets')
        method = f'method={args.method!r}' if args.method else ''
        kernel = ('import rna3d_kit, sys; assert rna3d_kit.__file__.startswith(sys.prefix), rna3d_kit.__file__\n'
                  'from rna3d_kit.kaggle import kaggle_paths, run_kernel\n'
                  f'report = run_kernel(kaggle_paths(), {method})\n'
                  'print(report.to_string(index=False))\n')
        numbers['kernel_s'] = run([*prefix, venv / 'bin' / 'python', '-c', kernel], log, 'kernel', env=env, cwd=root / 'kaggle' / 'working')

        step('5/5 validating and scoring the submission')
        sub = root / 'kaggle' / 'working' / 'submission.csv'
        check = ('from rna3d_kit.kaggle_io import read_sequences, validate_submission; import sys\n'
                 'targets = read_sequences(sys.argv[1]); df = validate_submission(sys.argv[2], targets)\n'
                 'print(f"VALID {len(df)} rows {len(targets)} targets")\n')
        run([*prefix, venv / 'bin' / 'python', '-c', check, inp / COMPETITION / 'test_sequences.csv', sub], log, env=env)
        if args.score:
            t0 = time.perf_counter()
            out = subprocess.run([*map(str, prefix), str(venv / 'bin' / 'rna3d'), 'score', str(sub),
                                  str(kaggle_dir / 'validation_labels.csv'), '--json'], env=env, capture_output=True, text=True)
            if out.returncode: raise SystemExit(f'simulate_kaggle_kernel: scoring failed\n{out.stderr[-2000:]}')
            numbers.update(mean_tm=json.loads(out.stdout)['mean'], score_s=time.perf_counter() - t0)
        import pandas as pd
        report = pd.read_csv(root / 'kaggle' / 'working' / 'kernel_report.csv')
        numbers.update(targets=len(report), rows=int(report.n_residues.sum()), predict_s=float(report.seconds.sum()),
                       methods=report.method.value_counts().to_dict(), fallbacks=int(report.fallback_reason.notna().sum()))
        if sorted(report.target_id) != sorted(ids): raise SystemExit('simulate_kaggle_kernel: the report does not cover every target')
    finally:
        numbers['cpu_s'] = dict(CPU_SECONDS)
        (work / 'numbers.json').write_text(json.dumps(numbers, indent=2, default=str) + '\n')
        if not args.keep and not args.work:
            for d in (work / 'root' / 'kaggle' / 'input' / WHEELHOUSE, work / 'root' / 'kaggle' / 'input' / WEIGHTS):
                if d.exists():
                    for f in [d, *d.rglob('*')]: f.chmod(0o755 if f.is_dir() else 0o644)
    command = ' '.join(['.venv/bin/python scripts/simulate_kaggle_kernel.py', *(argv if argv is not None else sys.argv[1:])])
    lines = [f'# Simulated offline Kaggle kernel ({dt.datetime.now():%Y-%m-%d %H:%M}; command: {command}; '
             f'machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)',
             f'wheelhouse: {numbers["wheels"]} wheels, {numbers["wheelhouse_mib"]:.1f} MiB '
             + ('(torch and transformers left out: installed beforehand as the image has them, '
                f'{numbers["image_s"]:.0f} s)' if args.kaggle_preinstalled else '(torch CPU wheel included)') + '; weights dataset: '
             f'{", ".join(numbers["weights_models"]) or "no model folder yet (metadata only)"}',
             f'build_datasets.py: {numbers["build_s"]:.0f} s ({CPU_SECONDS["build"]:.0f} CPU s) with a {"warm" if numbers["cache_was_warm"] else "cold"} wheel cache',
             f'fresh venv {numbers["venv_s"]:.0f} s; offline install (pip install --no-index --find-links <wheelhouse> rna3d_kit): '
             f'{numbers["install_s"]:.0f} s ({CPU_SECONDS["install"]:.0f} CPU s), venv {numbers["venv_mib"]:.0f} MiB; network: {numbers["offline"]}',
             f'kernel (run_kernel, method {args.method or "default"}, KAGGLE_IS_COMPETITION_RERUN=1): {numbers["kernel_s"]:.0f} s wall ({CPU_SECONDS["kernel"]:.0f} CPU s) for '
             f'{numbers["targets"]} targets / {numbers["rows"]} residues (prediction {numbers["predict_s"]:.0f} s); methods {numbers["methods"]}; '
             f'fallbacks {numbers["fallbacks"]}',
             'submission: valid (validate_submission in the fresh venv)'
             + (f'; mean best-of-5 TM (Part 2 mode) {numbers["mean_tm"]:.4f} (scored in {numbers["score_s"]:.0f} s)' if 'mean_tm' in numbers else ''),
             f'total wall {time.perf_counter() - started:.0f} s']
    print('\n'.join(lines))
    if args.bench_out:
        Path(args.bench_out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.bench_out, 'a', encoding='utf-8') as f: f.write('\n'.join(lines) + '\n\n')
    if not args.keep and not args.work: shutil.rmtree(work)
    return 0


if __name__ == '__main__':
    sys.exit(main())
