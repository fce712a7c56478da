"""Stamps for benchmark result files: what produced a number, on what, and when.

Every script under `scripts/` that writes a result into `benchmarks/<topic>/` writes it through this module
(`write_text`, `write_csv`, `write_json`, `save_figure`, or `stamp_file` for a file that package code wrote), so
each file carries `stamp()`: comment lines `# ...` at the top of text and CSV files, a `stamp` field in JSON, and
a `stamp` text chunk in PNG figures (the figure stays one file, listed once in `benchmarks/README.md`; read it with
`png_stamp`). A number in README can thus be traced to a commit, package versions and a machine, and regenerated
by the command the stamp names. Read a stamped CSV with `read_csv` (or pandas with `comment='#'`).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'benchmarks'  # one folder per topic; benchmarks/README.md maps every file to its command

THREAD_VARS = ('OMP_NUM_THREADS', 'OPENMM_CPU_THREADS')  # named in a default command when set

PACKAGES = ('rna3d_kit', 'numpy', 'scipy', 'pandas', 'torch', 'transformers', 'peft', 'bitsandbytes', 'accelerate',
            'ViennaRNA', 'gemmi', 'openmm', 'biopython', 'scikit-learn')


def _git(*args: str) -> str:
    try:
        return subprocess.run(['git', *args], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ''


def _cpu() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'): return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def default_command() -> str:
    """This process's command line, with the thread settings it ran under."""
    env = [f'{k}={os.environ[k]}' for k in THREAD_VARS if k in os.environ]
    return ' '.join([*env, 'python', shlex.join(sys.argv)])


def stamp_fields(command: str | None = None) -> dict:
    """Commit, dirty flag, versions, CPU, cores, load and the command line, as a dict."""
    versions = {}
    for name in PACKAGES:
        try: versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError: pass
    commit = _git('rev-parse', '--short=12', 'HEAD') or 'unknown'
    dirty = bool(_git('status', '--porcelain', '--untracked-files=no'))
    return dict(date=dt.datetime.now().isoformat(timespec='seconds'), commit=commit, dirty=dirty,
                python=platform.python_version(), versions=versions, cpu=_cpu(), cores=os.cpu_count(),
                load_average=round(os.getloadavg()[0], 2),
                command=command if command is not None else default_command())


def stamp(command: str | None = None, prefix: str = '# ') -> str:
    """The stamp as comment lines (each starting with `prefix`), ending in a newline."""
    f = stamp_fields(command)
    lines = [f"command: {f['command']}",
             f"commit {f['commit']}{' (dirty)' if f['dirty'] else ''}, {f['date']}, Python {f['python']}",
             'versions: ' + ', '.join(f'{k} {v}' for k, v in f['versions'].items()),
             f"machine: {f['cpu']}, {f['cores']} cores, load average {f['load_average']}"]
    return ''.join(prefix + line + '\n' for line in lines)


def result_path(topic: str, name: str) -> Path:
    """`benchmarks/<topic>/<name>`, its folder created."""
    folder = RESULTS / topic
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def _atomic(path, mode='w'):
    from rna3d_kit.core import atomic_write
    return atomic_write(path, mode=mode, encoding=None if 'b' in mode else 'utf-8')


def write_text(path, text: str, command: str | None = None) -> Path:
    """Write `text` to `path` (atomically) under the stamp's comment lines; return the path."""
    with _atomic(path) as f: f.write(stamp(command) + text + ('' if text.endswith('\n') else '\n'))
    return Path(path)


def append_text(path, text: str, command: str | None = None) -> Path:
    """Append `text` under its own stamp to a file that collects several runs (the file is rewritten atomically)."""
    path = Path(path)
    old = path.read_text(encoding='utf-8') if path.exists() else ''
    with _atomic(path) as f: f.write(old + ('\n' if old and not old.endswith('\n\n') else '') + stamp(command) + text
                                     + ('' if text.endswith('\n') else '\n'))
    return path


def write_csv(path, frame, command: str | None = None, **to_csv) -> Path:
    """Write a pandas frame as CSV under the stamp's comment lines (`to_csv` defaults to `index=False`)."""
    with _atomic(path) as f:
        f.write(stamp(command)); frame.to_csv(f, **{'index': False, **to_csv})
    return Path(path)


def write_json(path, data: dict, command: str | None = None) -> Path:
    """Write `data` as JSON with the stamp's fields under the key `stamp`."""
    if 'stamp' in data: raise ValueError('the key "stamp" is reserved for the stamp')
    with _atomic(path) as f: f.write(json.dumps({'stamp': stamp_fields(command), **data}, indent=2, default=str) + '\n')
    return Path(path)


def save_figure(fig, path, command: str | None = None, **savefig) -> Path:
    """Save a matplotlib figure as PNG with the stamp in its `stamp` text chunk."""
    if Path(path).suffix.lower() != '.png': raise ValueError(f'figures are saved as PNG: {path}')
    with _atomic(path, 'wb') as f: fig.savefig(f, format='png', metadata={'stamp': stamp(command, prefix='')}, **savefig)
    return Path(path)


def png_stamp(path) -> str:
    """The stamp text of a PNG saved by `save_figure` ('' when it has none)."""
    from PIL import Image
    with Image.open(path) as im: return im.text.get('stamp', '')


def file_stamp(path) -> str:
    """The stamp a result file carries, as text ('' when it has none)."""
    path = Path(path)
    if path.suffix.lower() == '.png': return png_stamp(path)
    if path.suffix.lower() == '.json':
        data = json.loads(path.read_text(encoding='utf-8'))
        return json.dumps(data['stamp']) if isinstance(data, dict) and 'stamp' in data else ''
    head = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if not line.startswith('# '): break
            head.append(line)
    return ''.join(head) if head and head[0].startswith('# command: ') else ''


def stamp_file(path, command: str | None = None) -> Path:
    """Stamp a result file that other code (the package, a notebook cell) wrote: comment lines on top of text and
    CSV, a `stamp` field in JSON, a text chunk in PNG. A file that already carries a stamp is refused."""
    path = Path(path)
    if file_stamp(path): raise ValueError(f'{path} is already stamped')
    suffix = path.suffix.lower()
    if suffix == '.png':
        import matplotlib.image as mpimg
        import matplotlib.pyplot as plt
        image = mpimg.imread(path)
        with _atomic(path, 'wb') as f: plt.imsave(f, image, format='png', metadata={'stamp': stamp(command, prefix='')})
    elif suffix == '.json':
        write_json(path, json.loads(path.read_text(encoding='utf-8')), command)
    elif suffix in ('.csv', '.txt', '.log', '.md'):
        write_text(path, path.read_text(encoding='utf-8'), command)
    else:
        raise ValueError(f'no way to stamp a {suffix} file: {path}')
    return path


def read_csv(path, **read_csv):
    """Read a result CSV, skipping its stamp lines (only the leading `# ` lines, so a `#` in a value stays)."""
    import pandas as pd
    n = 0
    with open(path, encoding='utf-8') as f:
        for line in f:
            if not line.startswith('# '): break
            n += 1
    return pd.read_csv(path, skiprows=n, **read_csv)
