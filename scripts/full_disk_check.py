"""`rna3d predict --pdb-dir` on real, small tmpfs file systems that fill up: what is left behind.

Needs root (it mounts tmpfs file systems under a temporary folder and unmounts them). Three disks, on the
bundled demo (4 CASP15 targets, 358 nt, `--method baseline --minimise off`, so every run is deterministic):

A. a 200 KiB tmpfs, empty: the submission and its report fit, the full-atom models (~3 MB) do not;
B. an earlier run's submission and report on it (seed 1), the rest filled but two pages: nothing new fits;
C. as B, but exactly as many free pages as the new submission needs: the submission fits, its report not.

Each case records the exit status, stderr (its last line for a traceback), the files left (name, size), whether
the submission validates, and whether the earlier pair is byte-identical. The promise checked: one
`rna3d: error:` line, status 2, and the complete submission or none (never a partial one, never a new
submission beside an old report, never a partial model set).

    sudo python scripts/full_disk_check.py [--kit-path OLD_CHECKOUT] [--out benchmarks/pipeline/full_disk_check.txt]

`--kit-path` runs the command from another checkout of the kit (e.g. the commit before the fix) for comparison.
"""
from __future__ import annotations

import argparse
import hashlib
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import result_path, write_text  # noqa: E402

from rna3d_kit.core import InputError
from rna3d_kit.io.kaggle_io import demo_dir, read_sequences, validate_submission

PAGE = 4096  # tmpfs allocates whole pages


def rna3d(args: list[str], kit_path: str | None) -> subprocess.CompletedProcess:
    """`rna3d *args` in a subprocess (from `kit_path` if given), run from the root folder so no checkout is on the path by accident."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    if kit_path: env['PYTHONPATH'] = str(Path(kit_path).resolve()) + os.pathsep + env.get('PYTHONPATH', '')
    code = 'import sys, rna3d_kit; from rna3d_kit.cli import main; print("kit:", rna3d_kit.__file__, file=sys.stderr); sys.exit(main(sys.argv[1:]))'
    return subprocess.run([sys.executable, '-c', code, *args], capture_output=True, text=True, env=env, cwd='/')


def predict_args(folder: Path, seed: int, models: bool = True) -> list[str]:
    return ['predict', str(demo_dir() / 'demo_sequences.csv'), '-o', str(folder / 'submission.csv'), '-q', '--method', 'baseline',
            '--minimise', 'off', '--seed', str(seed)] + (['--pdb-dir', str(folder / 'models')] if models else [])


def mount(folder: Path, size: str):
    folder.mkdir(parents=True)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', f'size={size}', 'tmpfs', str(folder)], check=True)


def free_pages(folder: Path) -> int:
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize // PAGE


def fill(folder: Path, leave_pages: int):
    """Write a filler file so that exactly `leave_pages` pages stay free."""
    with open(folder / 'filler', 'wb') as f:
        f.write(b'\0' * (free_pages(folder) - leave_pages) * PAGE)
    assert free_pages(folder) == leave_pages, (free_pages(folder), leave_pages)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else '-'


def listing(folder: Path) -> str:
    files = sorted(p for p in folder.rglob('*') if p.is_file() and p.name != 'filler')
    dirs = sorted(p for p in folder.rglob('*') if p.is_dir())
    out = [f'{p.relative_to(folder)} ({p.stat().st_size:,} B)' for p in files]
    out += [f'{p.relative_to(folder)}/ ({len(list(p.iterdir()))} entries)' for p in dirs]
    return '; '.join(out) or '(empty)'


def valid(path: Path, targets) -> str:
    if not path.exists(): return 'no submission'
    try: validate_submission(path, targets); return 'valid, complete'
    except InputError as e: return f'INVALID: {e}'


def report_case(name: str, proc: subprocess.CompletedProcess, folder: Path, targets, before: dict | None = None) -> str:
    err = [l for l in proc.stderr.strip().splitlines() if not l.startswith('kit: ')]
    one_line = len(err) == 1 and err[0].startswith('rna3d: error:')
    lines = [f'{name}', f'  exit status {proc.returncode}; stderr {"one line" if one_line else f"{len(err)} lines"}: '
             f'{err[-1] if err else "(none)"}',
             f'  left: {listing(folder)}', f'  submission: {valid(folder / "submission.csv", targets)}']
    if before is not None:
        same = all(digest(p) == h for p, h in before.items())
        lines.append(f'  earlier submission and report: {"unchanged" if same else "CHANGED"} '
                     f'({", ".join(f"{p.name} {digest(p)}" for p in before)})')
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--kit-path', default=None, help='checkout whose rna3d_kit runs the command (default: this one)')
    ap.add_argument('--out', default=str(result_path('pipeline', 'full_disk_check.txt')))
    args = ap.parse_args()
    if os.geteuid() != 0: sys.exit('full_disk_check: needs root (it mounts tmpfs file systems)')
    targets = read_sequences(demo_dir() / 'demo_sequences.csv')
    sections = []
    with tempfile.TemporaryDirectory(prefix='rna3d_full_disk_') as work:
        work, mounts = Path(work), []
        try:
            ref = work / 'reference'  # sizes of the outputs on a disk with room
            ref.mkdir()
            proc = rna3d(predict_args(ref, 0), args.kit_path)
            if proc.returncode != 0: sys.exit(f'full_disk_check: the reference run failed:\n{proc.stderr}')
            kit_file = proc.stderr.splitlines()[0]
            sub_size = (ref / 'submission.csv').stat().st_size if (ref / 'submission.csv').exists() else 0
            model_bytes = sum(p.stat().st_size for p in (ref / 'models').glob('*')) if (ref / 'models').is_dir() else 0
            sections.append(f'reference run (ample disk): exit {proc.returncode}; submission {sub_size:,} B, '
                            f'report {(ref / "submission_report.csv").stat().st_size if (ref / "submission_report.csv").exists() else 0:,} B, '
                            f'{len(list((ref / "models").glob("*"))) if (ref / "models").is_dir() else 0} model files {model_bytes:,} B')

            a = work / 'A'; mount(a, '200k'); mounts.append(a)
            sections.append(f'A. 200 KiB tmpfs, empty ({free_pages(a)} free pages)\n'
                            + report_case('  run', rna3d(predict_args(a, 0), args.kit_path), a, targets))

            for case, leave in (('B', 2), ('C', math.ceil(sub_size / PAGE))):
                d = work / case; mount(d, '400k'); mounts.append(d)
                earlier = rna3d(predict_args(d, 1, models=False), args.kit_path)  # the earlier run's pair, seed 1
                before = {d / 'submission.csv': digest(d / 'submission.csv'), d / 'submission_report.csv': digest(d / 'submission_report.csv')}
                fill(d, leave)
                what = 'nothing new fits' if case == 'B' else 'the new submission fits, its report does not'
                sections.append(f'{case}. 400 KiB tmpfs holding an earlier submission and report (exit {earlier.returncode}), '
                                f'filled to {leave} free pages: {what}\n'
                                + report_case('  run', rna3d(predict_args(d, 0), args.kit_path), d, targets, before))
        finally:
            for m in reversed(mounts): subprocess.run(['umount', str(m)], check=True)
    text = f'{kit_file}\n\n' + '\n\n'.join(sections) + '\n'
    write_text(args.out, text)
    print(text)


if __name__ == '__main__':
    main()
