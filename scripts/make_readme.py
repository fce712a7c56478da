"""Write README.md from nbs/index.ipynb (nbdev's readme_nb) without quarto: markdown cells verbatim.

Usage: python scripts/make_readme.py [--check]   (--check: exit 1 if README.md is out of date)
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render_readme(index_nb: Path = ROOT / 'nbs' / 'index.ipynb') -> str:
    """README text: the markdown cells of the index notebook, separated by blank lines."""
    nb = json.loads(index_nb.read_text(encoding='utf-8'))
    parts = [''.join(c['source']).strip() for c in nb['cells'] if c['cell_type'] == 'markdown']
    header = '<!-- Generated from nbs/index.ipynb by scripts/make_readme.py: edit the notebook, not this file. -->'
    return header + '\n\n' + '\n\n'.join(p for p in parts if p) + '\n'


if __name__ == '__main__':
    text, readme = render_readme(), ROOT / 'README.md'
    if '--check' in sys.argv[1:]:
        ok = readme.exists() and readme.read_text(encoding='utf-8') == text
        print('README.md is up to date' if ok else 'README.md is out of date: run python scripts/make_readme.py')
        sys.exit(0 if ok else 1)
    tmp = readme.with_suffix('.md.part')
    tmp.write_text(text, encoding='utf-8')
    tmp.replace(readme)
    print(f'wrote {readme}')
