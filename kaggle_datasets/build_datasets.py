#!/usr/bin/env python3
"""Assemble the folders to upload as Kaggle datasets: the wheelhouse and the weights.

    python kaggle_datasets/build_datasets.py --out build/kaggle_datasets            # this interpreter's tags
    python kaggle_datasets/build_datasets.py --python-version 3.11 --kaggle-preinstalled    # Kaggle's image (glibc 2.35)

Writes OUT/rna3d-kit-wheelhouse/ (rna3d_kit's wheel and a wheel of every dependency of `rna3d_kit[neural]`, the
core and the neural model, at the tested versions of constraints.txt, for the kernel's Python) and OUT/rna3d-kit-weights/ (copies of the model folders under
rna3d_kit/data/), each with its `dataset-metadata.json` and a MANIFEST.txt, plus OUT/build_summary.json.
Downloaded wheels are kept in a cache folder per set of tags, so a second build downloads nothing new.
In the kernel: `pip install --no-index --find-links /kaggle/input/rna3d-kit-wheelhouse 'rna3d_kit[neural]'`.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
WHEELHOUSE, WEIGHTS = 'rna3d-kit-wheelhouse', 'rna3d-kit-weights'  # dataset slugs = folder names under /kaggle/input
KAGGLE_PREINSTALLED = ('torch', 'transformers')  # large, and already in Kaggle's Python image
NOT_WEIGHTS = ('demo',)  # folders under rna3d_kit/data that ship inside the wheel and are no model
KIT_SOURCES = ('setup.py', 'settings.ini', 'README.md', 'LICENSE', 'rna3d_kit')  # what the kit's wheel is built from
KERNEL_EXTRAS = 'neural'  # the kernel installs the core and the neural model (it writes no model files: no OpenMM)
KERNEL_INSTALL = f"rna3d_kit[{KERNEL_EXTRAS}]"  # what the kernel's install cell asks pip for
CONSTRAINTS = REPO / 'constraints.txt'  # the tested versions (scripts/refresh_constraints.sh); torch is the CPU build 2.13.0


def project_name(wheel: Path) -> str:
    """Normalised project name of a wheel file (`Foo_Bar-1.0-py3-none-any.whl` -> `foo-bar`)."""
    return re.sub(r'[-_.]+', '-', wheel.name.split('-')[0]).lower()


def tag_args(python_version: str | None, platforms: list[str], implementation: str | None, abis: list[str]) -> list[str]:
    """pip's target-interpreter options; none means 'this interpreter'."""
    args = []
    if python_version: args += ['--python-version', python_version]
    for p in platforms: args += ['--platform', p]
    if implementation: args += ['--implementation', implementation]
    for a in abis: args += ['--abi', a]
    return args


def manylinux_platforms(glibc: str = '2.35', arch: str = 'x86_64') -> list[str]:
    """Every manylinux tag a system with this glibc runs, newest first (pip does not expand `manylinux_2_N` itself)."""
    major, minor = map(int, glibc.split('.'))
    tags = [f'manylinux_{major}_{m}_{arch}' for m in range(minor, 4, -1)]
    legacy = {17: 'manylinux2014', 12: 'manylinux2010', 5: 'manylinux1'}  # PEP 600 aliases of the older names
    return tags + [f'{name}_{arch}' for m, name in legacy.items() if m <= minor]


def tag_key(args: list[str]) -> str:
    """Cache sub-folder name for one set of target tags."""
    if not args: return f'cp{sys.version_info.major}{sys.version_info.minor}-native'
    values = [a for a in args if not a.startswith('--')]
    platforms = [v for v in values if 'linux' in v or 'win' in v or 'macos' in v]
    return re.sub(r'[^A-Za-z0-9_.]+', '_', '-'.join([v for v in values if v not in platforms] + platforms[:1]))


def run_pip(args: list[str], log: Path) -> str:
    """Run `python -m pip ARGS`, append its output to `log`, raise with the tail of the log on failure."""
    cmd = [sys.executable, '-m', 'pip', *args]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with open(log, 'a', encoding='utf-8') as f: f.write(f'$ {" ".join(cmd)}\n{proc.stdout}\n')
    if proc.returncode:
        tail = '\n'.join(proc.stdout.splitlines()[-15:])
        raise SystemExit(f'build_datasets: pip {args[0]} failed (exit {proc.returncode}); full log in {log}\n{tail}')
    return proc.stdout


def _has_wheel_builder() -> bool:
    """Whether this interpreter's setuptools builds wheels by itself (>= 70.1, or with `wheel`): no isolated build env needed."""
    import importlib.util
    try: return importlib.util.find_spec('setuptools.command.bdist_wheel') is not None or importlib.util.find_spec('wheel') is not None
    except ModuleNotFoundError: return False


def build_kit_wheel(dest: Path, log: Path, repo: Path = REPO) -> Path:
    """Build rna3d_kit's wheel from a clean copy of its sources (no build/ or egg-info left in the repo)."""
    with tempfile.TemporaryDirectory(prefix='rna3d_kit_src_') as tmp:
        src = Path(tmp) / 'src'
        for name in KIT_SOURCES:
            p = repo / name
            if p.is_dir(): shutil.copytree(p, src / name, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            elif p.exists(): src.mkdir(exist_ok=True); shutil.copy2(p, src / name)
        out = Path(tmp) / 'wheel'
        isolation = ['--no-build-isolation'] if _has_wheel_builder() else []
        run_pip(['wheel', '--no-deps', *isolation, '--wheel-dir', str(out), str(src)], log)
        (wheel,) = out.glob('rna3d_kit-*.whl')
        dest.mkdir(parents=True, exist_ok=True)
        for old in dest.glob('rna3d_kit-*.whl'): old.unlink()  # one kit wheel per cache: the one just built
        return Path(shutil.copy2(wheel, dest / wheel.name))


def cache_is_warm(cache: Path) -> bool:
    """Whether `cache` holds downloaded wheels (beyond the ones this script builds itself)."""
    return any(project_name(w) != 'rna3d-kit' for w in cache.glob('*.whl'))


def download_wheels(requirements: list[str], cache: Path, tags: list[str], log: Path, refresh: bool = False) -> list[Path]:
    """Resolve `requirements` to binary wheels for `tags` in `cache`; the wheels of this resolution.

    A warm cache is tried first on its own (`--no-index`: quick, and the same versions as last time); the package
    index is asked only when the cache cannot satisfy the requirements, or when `refresh` asks for newer releases."""
    base = ['download', '--dest', str(cache), '--only-binary=:all:', '--progress-bar', 'off', '-c', str(CONSTRAINTS), *tags]
    out = None
    if not refresh and cache_is_warm(cache):
        try: out = run_pip(base + ['--no-index', '--find-links', str(cache), *requirements], log)
        except SystemExit: print('build_datasets: the wheel cache misses some requirement; resolving online', file=sys.stderr)
    if out is None: out = run_pip(base + requirements, log)
    files = re.findall(r'^\s*(?:Saved|File was already downloaded) (.+\.whl)\s*$', out, flags=re.M)
    if not files: raise SystemExit(f'build_datasets: pip download reported no wheel; see {log}')
    return sorted({Path(f).resolve() for f in files}, key=lambda p: p.name.lower())


def link_or_copy(src: Path, dst: Path):
    """Hard-link `src` to `dst` (same file system), else copy it."""
    try: os.link(src, dst)
    except OSError: shutil.copy2(src, dst)


def write_metadata(folder: Path, slug: str, owner: str | None):
    """Copy this folder's `SLUG/dataset-metadata.json` into `folder`, with the Kaggle user name filled in."""
    meta = json.loads((HERE / slug / 'dataset-metadata.json').read_text(encoding='utf-8'))
    if owner: meta['id'] = f'{owner}/{slug}'
    (folder / 'dataset-metadata.json').write_text(json.dumps(meta, indent=2) + '\n', encoding='utf-8')


def fresh_folder(folder: Path) -> Path:
    """Empty `folder` (created if missing) so no file of an earlier build is uploaded by mistake."""
    if folder.exists(): shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def build_wheelhouse(out: Path, cache: Path, tags: list[str], without: tuple[str, ...], owner: str | None,
                     log: Path, refresh: bool = False) -> dict:
    """Fill `out/WHEELHOUSE` with the kit's wheel and its dependencies' wheels; returns a summary."""
    t0 = time.perf_counter()
    kit = build_kit_wheel(cache, log)
    reqs = [f'{KERNEL_INSTALL} @ {kit.resolve().as_uri()}']
    wheels = download_wheels(reqs, cache, tags, log, refresh)
    kept = [w for w in wheels if project_name(w) not in without]
    folder = fresh_folder(out / WHEELHOUSE)
    for w in kept: link_or_copy(w, folder / w.name)
    write_metadata(folder, WHEELHOUSE, owner)
    size = sum(w.stat().st_size for w in kept)
    lines = [f'# rna3d_kit wheelhouse: {len(kept)} wheels, {size / 2**20:.1f} MiB; target tags: {" ".join(tags) or "the building interpreter"}',
             f'# left out (installed in the Kaggle image): {", ".join(without) or "nothing"}']
    lines += [f'{w.name}\t{w.stat().st_size}' for w in kept]
    (folder / 'MANIFEST.txt').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    return dict(folder=str(folder), wheels=len(kept), mib=round(size / 2**20, 1), left_out=list(without),
                tags=tags, seconds=round(time.perf_counter() - t0, 1))


def build_weights(out: Path, owner: str | None, data: Path = REPO / 'rna3d_kit' / 'data') -> dict:
    """Fill `out/WEIGHTS` with copies of the model folders under `data`; returns a summary."""
    folder = fresh_folder(out / WEIGHTS)
    models = sorted(p for p in data.iterdir() if p.is_dir() and p.name not in NOT_WEIGHTS) if data.is_dir() else []
    for m in models: shutil.copytree(m, folder / m.name, ignore=shutil.ignore_patterns('__pycache__'))
    files = sorted(p for p in folder.rglob('*') if p.is_file())
    write_metadata(folder, WEIGHTS, owner)
    size = sum(p.stat().st_size for p in files)
    lines = [f'# rna3d_kit weights: {len(models)} model folders ({", ".join(m.name for m in models) or "none yet"}), {size / 2**20:.1f} MiB']
    lines += [f'{p.relative_to(folder)}\t{p.stat().st_size}' for p in files]
    (folder / 'MANIFEST.txt').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    if not models: print(f'build_datasets: no model folder under {data} yet; the weights dataset holds only its metadata', file=sys.stderr)
    return dict(folder=str(folder), models=[m.name for m in models], files=len(files), mib=round(size / 2**20, 1))


def default_cache() -> Path:
    """`$RNA3D_CACHE/wheelhouse`, else `~/.cache/rna3d_kit/wheelhouse` (downloaded wheels, reused by later builds)."""
    root = os.environ.get('RNA3D_CACHE')
    return (Path(root) if root else Path.home() / '.cache' / 'rna3d_kit') / 'wheelhouse'


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description='Assemble the Kaggle datasets of rna3d_kit (wheelhouse and weights).')
    p.add_argument('--out', default='build/kaggle_datasets', help='folder that receives one sub-folder per dataset')
    p.add_argument('--cache', default=None, help='downloaded-wheel cache (default $RNA3D_CACHE/wheelhouse or ~/.cache/rna3d_kit/wheelhouse)')
    p.add_argument('--python-version', default=None, help="kernel's Python, e.g. 3.11 (default: this interpreter)")
    p.add_argument('--platform', action='append', default=None,
                   help='wheel platform tag, repeatable (default with --python-version: every manylinux tag of --glibc)')
    p.add_argument('--glibc', default='2.35', help="the kernel image's glibc (Kaggle's Ubuntu 22.04 image: 2.35)")
    p.add_argument('--implementation', default=None, help='e.g. cp (default with --python-version: cp)')
    p.add_argument('--abi', action='append', default=None,
                   help='ABI tag, repeatable (default with --python-version: cpXY of that version, abi3 and none)')
    p.add_argument('--kaggle-preinstalled', action='store_true',
                   help=f'leave out {" and ".join(KAGGLE_PREINSTALLED)} (Kaggle images ship them)')
    p.add_argument('--owner', default=None, help='Kaggle user name written into the dataset ids')
    p.add_argument('--refresh', action='store_true', help='resolve against the package index even when the cache satisfies every requirement')
    p.add_argument('--skip-weights', action='store_true', help='build only the wheelhouse')
    args = p.parse_args(argv)
    platforms, impl, abis = args.platform or [], args.implementation, args.abi or []
    if args.python_version:
        platforms = platforms or manylinux_platforms(args.glibc)
        impl = impl or 'cp'
        abis = abis or ['cp' + args.python_version.replace('.', ''), 'abi3', 'none']  # 'none': e.g. bitsandbytes' py3-none-manylinux wheels
    tags = tag_args(args.python_version, platforms, impl, abis)
    out = Path(args.out).resolve()
    cache = Path(args.cache or default_cache()).resolve() / tag_key(tags)
    cache.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    log = out / 'build.log'
    log.write_text('', encoding='utf-8')
    summary = dict(cache=str(cache), cache_was_warm=cache_is_warm(cache))
    summary['wheelhouse'] = build_wheelhouse(out, cache, tags, KAGGLE_PREINSTALLED if args.kaggle_preinstalled else (), args.owner, log, args.refresh)
    if not args.skip_weights: summary['weights'] = build_weights(out, args.owner)
    (out / 'build_summary.json').write_text(json.dumps(summary, indent=2) + '\n', encoding='utf-8')
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == '__main__':
    sys.exit(main())
