#!/usr/bin/env python3
"""Rehearse the offline Kaggle kernel on this machine and check that it writes a valid submission.

    .venv/bin/python scripts/simulate_kaggle_kernel.py --bench-out benchmarks/kaggle/kaggle_offline.txt

1. builds the datasets with kaggle_datasets/build_datasets.py (downloaded wheels cached between runs);
2. lays out ROOT/kaggle/input/<competition>/ (the validation targets of a Part 1 folder, by default the 12 CASP15
   targets of the shared data, `--data` another one such as fixtures/data/kaggle_part1, as test_sequences.csv and
   their MSAs; by default in Part 2's layout: a few training rows with `chain`/`copy` label columns, and PDB_RNA/ = the
   `pdb_rna/PDB_RNA` entries beside that folder as the template source; `--layout part1`: Part 1's train files),
   ROOT/kaggle/input/<wheelhouse>/ and ROOT/kaggle/input/<weights>/ under a temporary ROOT;
3. makes a fresh venv (with `--kaggle-preinstalled`: torch and transformers put in first, as in Kaggle's image, and
   left out of the wheelhouse; with `--torch-preinstalled`: this environment's installed torch hard-linked in, as
   Kaggle's image has torch, which spares unpacking its ~700 MB), cuts it off the network (below) and runs the
   kernel's install cell in it,
   `pip install --no-index --find-links <wheelhouse> 'rna3d_kit[neural]'`, with PIP_NO_INDEX=1, no pip configuration and an
   empty environment;
4. runs the kernel cell (`run_kernel(kaggle_paths())`) the same way, with HF_HUB_OFFLINE=1, TRANSFORMERS_OFFLINE=1
   and KAGGLE_IS_COMPETITION_RERUN=1, from ROOT/kaggle/working;
5. validates ROOT/kaggle/working/submission.csv with rna3d_kit.io.kaggle_io.validate_submission (in the fresh venv)
   and scores it against the validation labels (`--no-score` skips that); exits non-zero if anything failed.

No network, two layers. Every program of steps 3-5 runs under `unshare -n` (a network namespace with no interface
but loopback, so nothing can connect, whatever the language) when that works here (root, or user namespaces
allowed). Independently, the fresh venv gets a start-up guard (a `.pth` file) that makes every Python socket to a
non-local address fail with "network disabled", so a machine without `unshare -n` still runs the rehearsal with
Python offline; the report and numbers.json say which layer was active (`--require-netns` makes a missing
`unshare -n` an error instead). Before the install, a probe in the kernel's environment tries to reach pypi.org and
must fail. Every step has a time limit (`--step-timeout`), and the work folder is removed afterwards, also when a
step fails (unless `--work` or `--keep` is given).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from rna3d_kit.core import shared_dir  # noqa: E402
from rna3d_kit.pipeline.kaggle import COMPETITION, WEIGHTS, WHEELHOUSE  # noqa: E402

sys.path.insert(0, str(REPO / 'kaggle_datasets'))
from build_datasets import KERNEL_INSTALL, NOT_WEIGHTS  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import append_text  # noqa: E402

PASSED_THROUGH = ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'LANG', 'TZ')  # machine settings a kernel also has


def step(msg: str):
    print(f'[{dt.datetime.now():%H:%M:%S}] {msg}', flush=True)


def offline_prefix(require: bool = False) -> tuple[list[str], str]:
    """Command prefix that runs a program without network (`unshare -n`), and how the network was cut."""
    unshare = shutil.which('unshare')
    if unshare is None: why = 'no unshare program'
    else:
        probe = subprocess.run([unshare, '-n', 'true'], capture_output=True, text=True)
        if probe.returncode == 0: return [unshare, '-n'], 'network namespace without interfaces (unshare -n) + Python socket guard'
        why = f'unshare -n failed: {probe.stderr.strip() or f"exit {probe.returncode}"}'
    if require: raise SystemExit(f'simulate_kaggle_kernel: cannot cut the network ({why}); run as root or allow user namespaces, '
                                 'or drop --require-netns to rely on the Python socket guard')
    return [], f'Python socket guard only ({why}); pip offline by --no-index/PIP_NO_INDEX'


SOCKET_GUARD = '''"""Installed by scripts/simulate_kaggle_kernel.py: Kaggle kernels have no internet, so neither has this venv."""
import socket

_LOCAL = ('localhost', '127.0.0.1', '::1')
_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

def _check(family, host):
    if family in (socket.AF_INET, socket.AF_INET6) and str(host) not in _LOCAL:
        raise OSError(101, f'network disabled (simulated offline Kaggle kernel): {host}')

def connect(self, address):
    _check(self.family, address[0] if isinstance(address, tuple) else address)
    return _connect(self, address)

def connect_ex(self, address):
    _check(self.family, address[0] if isinstance(address, tuple) else address)
    return _connect_ex(self, address)

def getaddrinfo(host, *args, **kwargs):
    if host is not None: _check(socket.AF_INET, host)
    return _getaddrinfo(host, *args, **kwargs)

socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo = connect, connect_ex, getaddrinfo
'''

NETWORK_PROBE = (  # must fail in the kernel's environment: the proof that it is offline
    'import socket\n'
    'try: socket.create_connection(("pypi.org", 443), timeout=5).close()\n'
    'except OSError as e: print(f"network probe blocked: {e}")\n'
    'else: raise SystemExit("network probe: pypi.org:443 is reachable from the kernel environment")\n')


def probe_network(prefix: list[str], venv: Path, env: dict) -> str:
    """Try to reach pypi.org from the kernel's environment: the namespace alone (`python -S`: no guard) and with the guard."""
    results = []
    for layer, flags in (('namespace', ['-S']), ('guard', [])):
        if layer == 'namespace' and not prefix: continue
        out = subprocess.run([*map(str, prefix), str(venv / 'bin' / 'python'), *flags, '-c', NETWORK_PROBE], env=env,
                             capture_output=True, text=True, timeout=60)
        if out.returncode: raise SystemExit(f'simulate_kaggle_kernel ({layer}): {out.stderr.strip() or out.stdout.strip()}')
        results.append(f'{layer}: {out.stdout.strip()}')
    return '; '.join(results)


def link_installed(dist: str, venv: Path) -> int:
    """Hard-link this interpreter's installed distribution `dist` (the files its RECORD lists) into `venv`; files linked."""
    from importlib.metadata import distribution
    installed = distribution(dist)
    (site,) = venv.glob('lib/python3*/site-packages')
    n = 0
    for f in installed.files:
        if '..' in f.parts or '__pycache__' in f.parts: continue  # console scripts live outside site-packages; bytecode is rebuilt
        src, dst = Path(installed.locate_file(f)), site / f
        if not src.is_file(): continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        try: os.link(src, dst)  # same file system: no data copied, and removing the venv only unlinks
        except OSError: shutil.copy2(src, dst)
        n += 1
    return n


def install_socket_guard(venv: Path):
    """Make every Python process of `venv` refuse sockets to non-local addresses (a `.pth` runs at start-up)."""
    (site,) = venv.glob('lib/python3*/site-packages')
    (site / '_rna3d_offline_guard.py').write_text(SOCKET_GUARD, encoding='utf-8')
    (site / '_rna3d_offline_guard.pth').write_text('import _rna3d_offline_guard\n', encoding='utf-8')


def kernel_env(root: Path, venv: Path, threads: int = 2) -> dict:
    """A nearly empty environment, like a fresh kernel's: no pip config, no index, no shared data, offline hubs."""
    env = {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}
    home = root / 'root'
    home.mkdir(parents=True, exist_ok=True)
    env.update(PATH=f'{venv / "bin"}:/usr/local/bin:/usr/bin:/bin', HOME=str(home), XDG_CACHE_HOME=str(home / '.cache'),
               PIP_NO_INDEX='1', PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK='1',
               HF_HUB_OFFLINE='1', TRANSFORMERS_OFFLINE='1', KAGGLE_IS_COMPETITION_RERUN='1',
               RNA3D_KAGGLE_ROOT=str(root), OMP_NUM_THREADS=str(threads), MPLBACKEND='Agg')
    return env


CPU_SECONDS = {}  # step name -> CPU seconds (user + system) of its processes: what the wall time would be on an idle core


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


STEP_TIMEOUT = [1800.0]  # seconds any one step may take (--step-timeout): a stuck step fails instead of hanging CI


def run(cmd: list[str], log: Path, name: str = '', **kw) -> float:
    """Run `cmd` with its output appended to `log`; wall seconds taken; exits with the log's tail on failure."""
    t0, c0 = time.perf_counter(), children_cpu()
    with open(log, 'a', encoding='utf-8') as f:
        f.write(f'\n$ {" ".join(map(str, cmd))}\n'); f.flush()
        try: rc = subprocess.run(list(map(str, cmd)), stdout=f, stderr=subprocess.STDOUT, timeout=STEP_TIMEOUT[0], **kw).returncode
        except subprocess.TimeoutExpired: rc = f'timed out after {STEP_TIMEOUT[0]:.0f} s'
    if rc:
        tail = '\n'.join(log.read_text(encoding='utf-8').splitlines()[-25:])
        raise SystemExit(f'simulate_kaggle_kernel: step failed ({rc if isinstance(rc, str) else f"exit {rc}"}): '
                         f'{" ".join(map(str, cmd))}\n{tail}\n(rerun with --keep to keep the work folder and its full log)')
    if name: CPU_SECONDS[name] = children_cpu() - c0
    return time.perf_counter() - t0


PART2_TRAIN_ROWS = 5  # training targets of the simulated Part 2 folder ("a few rows": its templates are the PDB_RNA chains)


def lay_out_competition(comp: Path, kaggle_dir: Path, layout: str = 'part2') -> list[str]:
    """The competition folder: validation targets as the test set, their MSAs, and the train files; target ids.

    `part1`: Part 1's files (the train files linked). `part2`: Part 2's layout: sequences with a `stoichiometry`
    column, a few training targets whose labels carry `chain` and `copy` columns, and `PDB_RNA/` = the shared
    pdb_rna entries (mmCIF files + pdb_release_dates_NA.csv)."""
    import pandas as pd
    comp.mkdir(parents=True)
    test = pd.read_csv(kaggle_dir / 'validation_sequences.csv', dtype=str, keep_default_na=False)
    if layout == 'part1':
        test.to_csv(comp / 'test_sequences.csv', index=False)
        for name in ('train_sequences.csv', 'train_labels.csv'):  # what Kaggle ships beside the test set (template source)
            (comp / name).symlink_to(kaggle_dir / name)
    else:
        part2 = lambda df: df.assign(  # one chain A each: the FASTA lists the chain with the target's own (modelled) sequence
            stoichiometry='A:1', all_sequences=[f'>{t}_1|Chain A|\n{q}' for t, q in zip(df.target_id, df.sequence)], ligand_ids='',
            ligand_SMILES='')[['target_id', 'sequence', 'temporal_cutoff', 'description', 'stoichiometry', 'all_sequences', 'ligand_ids', 'ligand_SMILES']]
        part2(test).to_csv(comp / 'test_sequences.csv', index=False)
        train = pd.read_csv(kaggle_dir / 'train_sequences.csv', dtype=str, keep_default_na=False).head(PART2_TRAIN_ROWS)
        part2(train).to_csv(comp / 'train_sequences.csv', index=False)
        labels = pd.read_csv(kaggle_dir / 'train_labels.csv', dtype={'ID': str, 'resname': str})
        labels = labels[labels.ID.str.rpartition('_')[0].isin(set(train.target_id))].assign(chain='A', copy=1)
        labels.to_csv(comp / 'train_labels.csv', index=False)
        (comp / 'PDB_RNA').symlink_to(kaggle_dir.parent / 'pdb_rna' / 'PDB_RNA', target_is_directory=True)  # its sibling, as in the shared data
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
    p.add_argument('--data', default=None, help='Part 1 folder whose validation targets are the test set (default: the shared kaggle_part1)')
    p.add_argument('--time-budget', type=float, default=None, help="run_kernel's time budget in seconds (default: run_kernel's)")
    p.add_argument('--threads', type=int, default=2, help='OMP_NUM_THREADS of the kernel')
    p.add_argument('--step-timeout', type=float, default=STEP_TIMEOUT[0], help='seconds any one step may take')
    p.add_argument('--require-netns', action='store_true', help='fail unless `unshare -n` can cut the network')
    p.add_argument('--kaggle-preinstalled', action='store_true',
                   help='wheelhouse without torch/transformers; the venv gets them first, as the Kaggle image has them')
    p.add_argument('--torch-preinstalled', action='store_true',
                   help="hard-link this environment's torch into the venv before the install, as Kaggle's image has torch")
    p.add_argument('--pip-no-compile', action='store_true',
                   help='install without byte-compiling every module (Python compiles what the kernel imports); saves CPU in CI')
    p.add_argument('--layout', choices=('part2', 'part1'), default='part2',
                   help="competition folder layout: Part 2's (PDB_RNA/ = shared pdb_rna, a few train rows; default) or Part 1's")
    p.add_argument('--no-score', dest='score', action='store_false', help='skip scoring against the validation labels')
    p.add_argument('--bench-out', default=None, help='append the measured numbers, stamped, to this text file')
    p.add_argument('--keep', action='store_true', help='keep the work folder')
    args = p.parse_args(argv)
    if args.torch_preinstalled and args.kaggle_preinstalled: p.error('--torch-preinstalled and --kaggle-preinstalled exclude each other')
    STEP_TIMEOUT[0] = args.step_timeout
    started = time.perf_counter()
    work = Path(args.work or tempfile.mkdtemp(prefix='rna3d_kaggle_sim_')).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log = work / 'simulate.log'
    numbers = {}
    try:
        kaggle_dir = Path(args.data).resolve() if args.data else shared_dir() / 'data' / 'kaggle_part1'
        if not (kaggle_dir / 'validation_sequences.csv').is_file(): raise SystemExit(f'simulate_kaggle_kernel: no validation_sequences.csv in {kaggle_dir}')
        step(f'1/5 building the datasets (log {log})')
        build_out = work / 'datasets'
        build = [sys.executable, REPO / 'kaggle_datasets' / 'build_datasets.py', '--out', build_out]
        build += ['--cache', args.cache] if args.cache else []
        build += ['--kaggle-preinstalled'] if args.kaggle_preinstalled else []
        numbers['build_s'] = run(build, log, 'build')
        summary = json.loads((build_out / 'build_summary.json').read_text())
        numbers.update(wheels=summary['wheelhouse']['wheels'], wheelhouse_mib=summary['wheelhouse']['mib'],
                       cache_was_warm=summary['cache_was_warm'], weights_models=summary['weights']['models'],
                       weights_mib=summary['weights']['mib'])
        shipped = sorted(p.name for p in (REPO / 'rna3d_kit' / 'data').iterdir() if p.is_dir() and p.name not in NOT_WEIGHTS)
        if sorted(summary['weights']['models']) != shipped:
            raise SystemExit(f'simulate_kaggle_kernel: the weights dataset holds {summary["weights"]["models"]}, rna3d_kit/data ships {shipped}')

        step('2/5 laying out /kaggle/input under a temporary root')
        root = work / 'root'
        inp = root / 'kaggle' / 'input'
        ids = lay_out_competition(inp / COMPETITION, kaggle_dir, args.layout)
        for name in (WHEELHOUSE, WEIGHTS): shutil.move(build_out / name, inp / name)  # a rename: no copy of ~400 MB
        for d in (inp / WHEELHOUSE, inp / WEIGHTS):  # Kaggle mounts datasets read-only
            for f in d.rglob('*'): f.chmod(0o444 if f.is_file() else 0o555)
        (root / 'kaggle' / 'working').mkdir(parents=True)

        venv = work / 'venv'
        prefix, how = offline_prefix(args.require_netns)
        env = kernel_env(root, venv, args.threads)
        numbers['offline'] = how
        step(f'3/5 fresh venv + offline install ({how})')
        t0 = time.perf_counter()
        run([args.python, '-m', 'venv', venv], log)
        install_socket_guard(venv)
        numbers['venv_s'] = time.perf_counter() - t0
        numbers['network_probe'] = probe_network(prefix, venv, env)
        if args.torch_preinstalled:  # the image's torch: the files of this environment's, linked
            t0 = time.perf_counter()
            numbers['torch_files_linked'] = link_installed('torch', venv)
            numbers['image_s'] = time.perf_counter() - t0
        if args.kaggle_preinstalled:  # the image's own torch and transformers, from the build's wheel cache
            image = [*prefix, venv / 'bin' / 'python', '-m', 'pip', 'install', '--no-index', '--find-links', summary['cache'],
                     'torch==2.13.0', 'transformers']
            numbers['image_s'] = run(image, log, 'image', env=env)
        install = [*prefix, venv / 'bin' / 'python', '-m', 'pip', 'install', '--no-index', '--find-links', inp / WHEELHOUSE, KERNEL_INSTALL]
        install += ['--no-compile'] if args.pip_no_compile else []
        numbers['install_s'] = run(install, log, 'install', env=env, cwd=root / 'kaggle' / 'working')
        numbers['venv_mib'] = sum(f.stat().st_size for f in venv.rglob('*') if f.is_file() and not f.is_symlink()) / 2**20

        step(f'4/5 running the kernel on {len(ids)} targets')
        options = ''.join([f', method={args.method!r}' if args.method else '',
                           f', time_budget={args.time_budget!r}' if args.time_budget is not None else ''])
        kernel = ('import rna3d_kit, sys; assert rna3d_kit.__file__.startswith(sys.prefix), rna3d_kit.__file__\n'
                  'from rna3d_kit.pipeline.kaggle import kaggle_paths, run_kernel\n'
                  f'report = run_kernel(kaggle_paths(){options})\n'
                  'print(report.to_string(index=False))\n')
        numbers['kernel_s'] = run([*prefix, venv / 'bin' / 'python', '-c', kernel], log, 'kernel', env=env, cwd=root / 'kaggle' / 'working')

        step('5/5 validating and scoring the submission')
        sub = root / 'kaggle' / 'working' / 'submission.csv'
        check = ('from rna3d_kit.io.kaggle_io import read_sequences, validate_submission; import sys\n'
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
        reasons = report.fallback_reason.dropna()
        numbers.update(targets=len(report), rows=int(report.length.sum()), predict_s=float(report.seconds.sum()),
                       methods=report.method.value_counts().to_dict(), fallbacks=len(reasons),
                       fallback_reasons=sorted(set(reasons)), valid=True, layout=args.layout)
        if 'templates' in report:  # which templates each target's models came from (the kernel report's own column)
            used = report.set_index('target_id').templates.fillna('')
            numbers.update(templates=used.to_dict(), pdb_rna_targets=int(used.str.contains('PDB_RNA:').sum()))
        if sorted(report.target_id) != sorted(ids): raise SystemExit('simulate_kaggle_kernel: the report does not cover every target')
    finally:
        numbers['cpu_s'] = dict(CPU_SECONDS)
        numbers['total_s'] = time.perf_counter() - started
        (work / 'numbers.json').write_text(json.dumps(numbers, indent=2, default=str) + '\n')
        for d in (work / 'root' / 'kaggle' / 'input' / WHEELHOUSE, work / 'root' / 'kaggle' / 'input' / WEIGHTS):
            if d.exists():  # writable again (these files are hard links into the wheel cache), so the folder can be removed
                for f in [d, *d.rglob('*')]: f.chmod(0o755 if f.is_dir() else 0o644)
        if not args.keep and not args.work and sys.exc_info()[0] is not None: shutil.rmtree(work, ignore_errors=True)
    command = shlex.join(['.venv/bin/python', 'scripts/simulate_kaggle_kernel.py', *(argv if argv is not None else sys.argv[1:])])
    lines = [f'# Simulated offline Kaggle kernel ({dt.datetime.now():%Y-%m-%d %H:%M}; '
             f'machine load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)',
             f'wheelhouse: {numbers["wheels"]} wheels, {numbers["wheelhouse_mib"]:.1f} MiB '
             + ('(torch and transformers left out: installed beforehand as the image has them, '
                f'{numbers["image_s"]:.0f} s)' if args.kaggle_preinstalled else
                f'(torch CPU wheel included but not installed: this environment\'s torch hard-linked into the venv first, '
                f'{numbers["torch_files_linked"]} files in {numbers["image_s"]:.0f} s)' if args.torch_preinstalled else
                '(torch CPU wheel included)') + '; weights dataset: '
             f'{", ".join(numbers["weights_models"]) or "no model folder yet (metadata only)"} ({numbers["weights_mib"]:.1f} MiB)',
             f'build_datasets.py: {numbers["build_s"]:.0f} s ({CPU_SECONDS["build"]:.0f} CPU s) with a {"warm" if numbers["cache_was_warm"] else "cold"} wheel cache',
             f'fresh venv {numbers["venv_s"]:.0f} s; offline install (pip install --no-index --find-links <wheelhouse> {KERNEL_INSTALL}'
             f'{" --no-compile" if args.pip_no_compile else ""}): '
             f'{numbers["install_s"]:.0f} s ({CPU_SECONDS["install"]:.0f} CPU s), venv {numbers["venv_mib"]:.0f} MiB; network: {numbers["offline"]} '
             f'({numbers["network_probe"]})',
             f'kernel (run_kernel, method {args.method or "default"}'
             + (f', time budget {args.time_budget:g} s' if args.time_budget is not None else '')
             + f', {args.threads} thread(s), KAGGLE_IS_COMPETITION_RERUN=1): {numbers["kernel_s"]:.0f} s wall ({CPU_SECONDS["kernel"]:.0f} CPU s) for '
             f'{numbers["targets"]} targets / {numbers["rows"]} residues (prediction {numbers["predict_s"]:.0f} s); {numbers["layout"]} layout'
             + (f', {numbers["pdb_rna_targets"]} targets with PDB_RNA template models' if 'pdb_rna_targets' in numbers else '') + f'; methods {numbers["methods"]}; '
             f'fallbacks {numbers["fallbacks"]}' + (f' ({"; ".join(numbers["fallback_reasons"])})' if numbers['fallbacks'] else ''),
             'submission: valid (validate_submission in the fresh venv)'
             + (f'; mean best-of-5 TM (Part 2 mode) {numbers["mean_tm"]:.4f} (scored in {numbers["score_s"]:.0f} s)' if 'mean_tm' in numbers else ''),
             f'total wall {time.perf_counter() - started:.0f} s']
    print('\n'.join(lines))
    if args.bench_out:
        Path(args.bench_out).parent.mkdir(parents=True, exist_ok=True)
        append_text(args.bench_out, '\n'.join(lines) + '\n', command)
    if not args.keep and not args.work: shutil.rmtree(work)
    return 0


if __name__ == '__main__':
    sys.exit(main())
