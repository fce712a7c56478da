"""Train the end-to-end RNA model: `accelerate launch [--multi_gpu --num_processes K] scripts/train.py --preset cpu ...`.

A thin launcher around `rna3d_kit.training.train.train_model`: pick a preset of rna3d_kit/data/presets.json (`tiny`, `cpu`, `gpu`),
override fields, run.
Runs resume from `OUT/checkpoints/latest` unless `--no-resume` (with settings that differ from the checkpoint's only
with `--allow-changed`; a damaged latest checkpoint falls back to the previous one). Writes OUT/metrics.csv, OUT/loss_curve.png,
OUT/rank{r}.log, OUT/train_config.json, OUT/checkpoints/ and the final weights OUT/model/.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from rna3d_kit.core import InputError
from rna3d_kit.nn.model import preset_names
from rna3d_kit.training.train import TrainConfig, train_model, train_preset


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--preset', default='cpu', choices=preset_names(),
                   help='training preset of rna3d_kit/data/presets.json (model size, crops, steps)')
    p.add_argument('--out', type=Path, default=None, help='run folder (default runs/<preset>)')
    p.add_argument('--config', type=Path, default=None, help='JSON file of TrainConfig fields overriding the preset')
    p.add_argument('--set', action='append', default=[], metavar='FIELD=VALUE',
                   help='override one TrainConfig field (VALUE read as JSON, else as text), e.g. --set crop_size=96')
    p.add_argument('--max-steps', type=int, default=None, help='stop after this step (the LR schedule keeps the preset length)')
    p.add_argument('--max-minutes', type=float, default=None, help='stop with a checkpoint after this wall time')
    p.add_argument('--cutoff', default=None, help="ISO date: train only on structures released before it; 'none' = all")
    p.add_argument('--lora', default=None, help="comma-separated LoRA stages (stage_b,trunk); '' = none")
    p.add_argument('--qlora', action='store_true', help='Stage B base in 4-bit nf4 (bitsandbytes)')
    p.add_argument('--threads', type=int, default=None, help='torch CPU threads per process')
    p.add_argument('--seed', type=int, default=None)
    p.add_argument('--cache', type=Path, default=None, help='chain list + adjacency cache folder (default OUT/cache); share it between runs')
    p.add_argument('--no-resume', action='store_true', help='start afresh even if OUT has a checkpoint')
    p.add_argument('--allow-changed', action='store_true',
                   help="resume even if the settings differ from the checkpoint's, applying the new ones (default: a one-line error)")
    p.add_argument('--no-progress', action='store_true', help='no progress bars')
    return p.parse_args(argv)


def _value(text: str):
    try: return json.loads(text)
    except json.JSONDecodeError: return text


def build_config(args: argparse.Namespace) -> TrainConfig:
    """The preset with the --config file, --set fields and the direct flags applied (in that order)."""
    d = train_preset(args.preset).to_dict()
    if args.config is not None:
        if not args.config.is_file(): raise InputError(f'config file {args.config} not found')
        d.update(json.loads(args.config.read_text()))
    for item in args.set:
        key, sep, val = item.partition('=')
        if not sep: raise InputError(f'--set expects FIELD=VALUE, got {item!r}')
        d[key] = _value(val)
    if args.cutoff is not None: d['cutoff'] = None if args.cutoff.lower() == 'none' else args.cutoff
    if args.lora is not None: d['lora_stages'] = [s for s in args.lora.split(',') if s]
    if args.qlora: d['qlora'] = True
    if args.threads is not None: d['threads'] = args.threads
    if args.seed is not None: d['seed'] = args.seed
    return TrainConfig.from_dict(d, f'--preset {args.preset} and its overrides')


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        config = build_config(args)
        out = args.out if args.out is not None else Path('runs') / args.preset
        train_model(config, out, max_steps=args.max_steps, max_minutes=args.max_minutes, resume=not args.no_resume, cache_dir=args.cache,
                    progress=not args.no_progress, allow_changed=args.allow_changed)
    except InputError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
