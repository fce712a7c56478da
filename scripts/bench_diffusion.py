"""Diffusion module benchmarks: denoiser step time / peak memory per target size, training throughput, and an
overfit check (trunk + merger + diffusion trained on one real RNA chain, then sampled from noise).

Run from the repo root:
    .venv/bin/python scripts/bench_diffusion.py timing      # -> benchmarks/diffusion/diffusion_timing.csv, diffusion_train_throughput.json
    .venv/bin/python scripts/bench_diffusion.py overfit     # -> benchmarks/diffusion/diffusion_overfit.csv / .txt
    .venv/bin/python scripts/bench_diffusion.py overfit_denoiser   # -> benchmarks/diffusion/diffusion_overfit_denoiser.txt
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import torch

from benchlib import RESULTS, write_csv, write_json, write_text

OUT = RESULTS / 'diffusion'


def one_size(n: int, n_samples: int) -> dict:
    """Time one no-grad denoiser call with `n_samples` samples for a target of n residues (default configs)."""
    from rna3d_kit.nn.diffusion import DiffusionConfig, DiffusionModule
    from rna3d_kit.nn.merger import DiffusionConditioning
    torch.set_num_threads(1)
    cfg = DiffusionConfig()
    model = DiffusionModule(cfg).eval()
    g = torch.Generator().manual_seed(0)
    cond = DiffusionConditioning(torch.randn(n, cfg.c_s, generator=g), torch.randn(n, n, cfg.c_z, generator=g), torch.ones(n))
    x = torch.randn(n_samples, n, 5, 3, generator=g) * 20
    with torch.no_grad():
        t0 = time.perf_counter(); cache = model.condition(cond).unsqueeze_samples(); t_cond = time.perf_counter() - t0
        model(x, 10.0, cache)  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(2): model(x, 10.0, cache)
        step, cpu = (time.perf_counter() - t0) / 2, (time.process_time() - c0) / 2
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux: kB)
    return dict(n=n, samples=n_samples, condition_s=round(t_cond, 3), step_wall_s=round(step, 3), step_cpu_s=round(cpu, 3),
                sample_200_steps_cpu_s=round(200 * cpu + t_cond, 1), peak_rss_mb=round(peak))


def train_throughput(n: int = 128, n_samples: int = 8, reps: int = 3) -> dict:
    """Forward + backward of the diffusion loss (default configs, random conditioning that requires grad)."""
    from rna3d_kit.nn.diffusion import DiffusionConfig, DiffusionModule
    from rna3d_kit.nn.losses import diffusion_mse_loss, smooth_lddt_loss
    from rna3d_kit.nn.merger import DiffusionConditioning
    torch.set_num_threads(1)
    cfg = DiffusionConfig()
    model = DiffusionModule(cfg)
    g = torch.Generator().manual_seed(0)
    single = torch.randn(n, cfg.c_s, generator=g, requires_grad=True)
    pair = torch.randn(n, n, cfg.c_z, generator=g, requires_grad=True)
    x_true = torch.randn(n, 5, 3, generator=g) * 15
    mask = torch.ones(n, 5, dtype=torch.bool)
    times, cpus = [], []
    for r in range(reps + 1):
        t0, c0 = time.perf_counter(), time.process_time()
        out = model.training_forward(DiffusionConditioning(single, pair, torch.ones(n)), x_true, n_samples, g)
        loss = diffusion_mse_loss(out.x_denoised, out.x_target, out.sigma, mask) + smooth_lddt_loss(out.x_denoised, out.x_target, mask)
        loss.backward()
        if r: times.append(time.perf_counter() - t0); cpus.append(time.process_time() - c0)
    step, cpu = sum(times) / len(times), sum(cpus) / len(cpus)
    return dict(n=n, samples=n_samples, train_step_wall_s=round(step, 3), train_step_cpu_s=round(cpu, 3),
                residues_per_cpu_s=round(n / cpu, 1),
                peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def timing():
    """Each size in its own process, so the peak memory is that size's own."""
    rows = []
    for n in (100, 500, 1000):
        res = subprocess.run([sys.executable, __file__, 'size', str(n)], capture_output=True, text=True, check=True)
        rows.append(json.loads(res.stdout.strip().splitlines()[-1])); print(rows[-1], flush=True)
    res = subprocess.run([sys.executable, __file__, 'train'], capture_output=True, text=True, check=True)
    train = json.loads(res.stdout.strip().splitlines()[-1]); print(train, flush=True)
    import pandas as pd
    write_csv(OUT / 'diffusion_timing.csv', pd.DataFrame(rows))
    write_json(OUT / 'diffusion_train_throughput.json', train)


def overfit(steps: int = 400, n_samples: int = 8, seed: int = 0):
    """Train a tiny trunk + merger + diffusion on one clean chain; sample 5 structures from noise; C1' RMSD to the truth."""
    import pandas as pd
    from tqdm.auto import tqdm
    from rna3d_kit.nn.diffusion import DIFFUSION_C1, DiffusionConfig, DiffusionModule, SamplerConfig, select_diffusion_atoms
    from rna3d_kit.geometry.torsions import load_clean_chains
    from rna3d_kit.nn.losses import LossWeights, total_loss, weighted_rigid_align
    from rna3d_kit.nn.merger import MergerConfig, MergerInputs, UnifiedLatentMerger
    from rna3d_kit.nn.pairformer import PairformerConfig, PairformerTrunk, featurize
    from rna3d_kit.io.structure import Target
    from rna3d_kit.geometry.adjacency import fold
    torch.set_num_threads(1); torch.manual_seed(seed)
    chains = load_clean_chains('rnabind', limit=60)
    tid, st = next((t, s) for t, s in chains if 30 <= s.n <= 45)
    seq = st.sequence
    x_true, atom_mask = select_diffusion_atoms(torch.from_numpy(st.coords).float(), seq)
    x_true = x_true - x_true[:, DIFFUSION_C1].mean(0)
    trunk_cfg = PairformerConfig(c_s=32, c_z=16, n_blocks=1, n_heads_single=4, c_hidden_single=8, n_heads_pair=2, c_hidden_pair=8,
                                 c_tri_mul=16, n_msa_blocks=0, n_template_blocks=0, n_cycles=1, n_distogram_bins=32)
    merger_cfg = MergerConfig.for_trunk(trunk_cfg, c_s=64, c_z=32)
    diff_cfg = DiffusionConfig.for_merger(merger_cfg, c_token=64, n_blocks=2, n_heads=4)
    trunk, merger, diffusion = PairformerTrunk(trunk_cfg), UnifiedLatentMerger(merger_cfg), DiffusionModule(diff_cfg)
    params = [*trunk.parameters(), *merger.parameters(), *diffusion.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    feats = featurize(Target(tid, seq), adjacency=fold(seq).adjacency)
    gen = torch.Generator().manual_seed(seed)
    log = []
    def conditioning():
        out = trunk(feats)
        n = len(seq)  # no Stage B in this check: angles unknown (zeros give uniform features)
        return merger(MergerInputs(s=out.s, z=out.z, s_inputs=out.s_inputs, mask=out.mask,
                                   angle_sincos=torch.zeros(n, merger_cfg.n_angles, 2), adjacency=feats.adjacency,
                                   residue_ids=feats.residue_ids)), out
    t0 = time.perf_counter()
    for step in tqdm(range(steps), desc=f'overfit {tid} ({len(seq)} nt)'):
        cond, out = conditioning()
        tr = diffusion.training_forward(cond, x_true, n_samples, gen)
        terms = total_loss(LossWeights(), tr, atom_mask, feats.mask, distogram_logits=out.distogram_logits, trunk_config=trunk_cfg)
        opt.zero_grad(); terms.total.backward(); opt.step()
        log.append(dict(step=step, **terms.as_dict()))
    train_s = time.perf_counter() - t0
    with torch.no_grad():
        cond, _ = conditioning()
        samples = diffusion.sample(cond, n_samples=5, sampler=SamplerConfig(n_steps=50), seed=seed)
    c1, c1_true = samples[..., DIFFUSION_C1, :], x_true[:, DIFFUSION_C1].expand(5, -1, -1)
    aligned = weighted_rigid_align(c1, c1_true, torch.ones(c1.shape[:-1]))
    rmsd = (c1 - aligned).square().sum(-1).mean(-1).sqrt()
    mirror = c1_true * torch.tensor([1.0, 1.0, -1.0])
    rmsd_mirror = (c1 - weighted_rigid_align(c1, mirror, torch.ones(c1.shape[:-1]))).square().sum(-1).mean(-1).sqrt()
    bonds = (c1[:, 1:] - c1[:, :-1]).norm(dim=-1)
    write_csv(OUT / 'diffusion_overfit.csv', pd.DataFrame(log))
    first, last = pd.DataFrame(log[:20]).mean(), pd.DataFrame(log[-20:]).mean()
    text = (f'overfit check: {tid} ({len(seq)} nt), tiny trunk + merger + diffusion (c_token 64, 2 blocks), '
            f'{steps} Adam steps x {n_samples} noise samples, {train_s:.0f} s on 1 thread (shared machine)\n'
            f'loss (mean of first/last 20 steps): total {first.total:.3f} -> {last.total:.3f}, mse {first.mse:.3f} -> {last.mse:.3f}, '
            f'1-smooth lDDT {first.smooth_lddt:.3f} -> {last.smooth_lddt:.3f}\n'
            f'5 samples from noise (50 steps): C1\' RMSD to the truth {", ".join(f"{v:.2f}" for v in rmsd.tolist())} Å; '
            f'to its mirror image {", ".join(f"{v:.2f}" for v in rmsd_mirror.tolist())} Å\n'
            f'C1\'(i)-C1\'(i+1) distances of the samples: median {bonds.median():.2f} Å, 5-95% {bonds.quantile(0.05):.2f}-{bonds.quantile(0.95):.2f} Å\n')
    print(text)
    write_text(OUT / 'diffusion_overfit.txt', text)


def overfit_denoiser(steps: int = 800, n_samples: int = 16, seed: int = 0):
    """The denoiser alone (free learnable conditioning, 3D loss only) on the same chain: can it memorise one structure?"""
    from tqdm.auto import tqdm
    from rna3d_kit.nn.diffusion import DIFFUSION_C1, DiffusionConfig, DiffusionModule, SamplerConfig, select_diffusion_atoms
    from rna3d_kit.geometry.torsions import load_clean_chains
    from rna3d_kit.nn.losses import diffusion_mse_loss, smooth_lddt_loss, weighted_rigid_align
    from rna3d_kit.nn.merger import DiffusionConditioning
    torch.set_num_threads(1); torch.manual_seed(seed)
    tid, st = next((t, s) for t, s in load_clean_chains('rnabind', limit=60) if 30 <= s.n <= 45)
    x_true, atom_mask = select_diffusion_atoms(torch.from_numpy(st.coords).float(), st.sequence)
    n = st.n
    cfg = DiffusionConfig(c_s=64, c_z=32, c_token=64, n_blocks=2, n_heads=4)
    model = DiffusionModule(cfg)
    single = torch.nn.Parameter(torch.randn(n, cfg.c_s)); pair = torch.nn.Parameter(torch.randn(n, n, cfg.c_z))
    opt = torch.optim.Adam([*model.parameters(), single, pair], lr=2e-3)
    gen = torch.Generator().manual_seed(seed)
    t0, log = time.perf_counter(), []
    for step in tqdm(range(steps), desc=f'denoiser overfit {tid}'):
        tr = model.training_forward(DiffusionConditioning(single, pair, torch.ones(n)), x_true, n_samples, gen)
        mse = diffusion_mse_loss(tr.x_denoised, tr.x_target, tr.sigma, atom_mask)
        loss = mse + smooth_lddt_loss(tr.x_denoised, tr.x_target, atom_mask)
        opt.zero_grad(); loss.backward(); opt.step(); log.append(mse.item())
    with torch.no_grad():
        cond = DiffusionConditioning(single, pair, torch.ones(n))
        rows = []
        for sigma in (1.0, 4.0, 16.0, 64.0):  # one-step denoising error at fixed noise levels
            noisy = x_true + sigma * torch.randn((32, n, 5, 3), generator=gen)
            den = model(noisy, sigma, cond)
            c1, c1_true = den[..., DIFFUSION_C1, :], x_true[:, DIFFUSION_C1].expand(32, -1, -1)
            al = weighted_rigid_align(c1, c1_true, torch.ones(c1.shape[:-1]))
            rows.append(f'σ {sigma:g} Å: C1\' RMSD of D(x) {(c1 - al).square().sum(-1).mean(-1).sqrt().mean():.2f} Å')
        samples = model.sample(cond, n_samples=5, sampler=SamplerConfig(n_steps=50), seed=seed)
    c1, c1_true = samples[..., DIFFUSION_C1, :], x_true[:, DIFFUSION_C1].expand(5, -1, -1)
    rmsd = (c1 - weighted_rigid_align(c1, c1_true, torch.ones(c1.shape[:-1]))).square().sum(-1).mean(-1).sqrt()
    mirror = c1_true * torch.tensor([1.0, 1.0, -1.0])
    rmsd_m = (c1 - weighted_rigid_align(c1, mirror, torch.ones(c1.shape[:-1]))).square().sum(-1).mean(-1).sqrt()
    text = (f'denoiser-only overfit: {tid} ({n} nt), c_token 64, 2 blocks, free conditioning, {steps} Adam steps (lr 2e-3) x {n_samples} '
            f'noise samples, 3D loss only, {time.perf_counter() - t0:.0f} s\n'
            f'weighted MSE mean of first/last 50 steps {sum(log[:50]) / 50:.3f} -> {sum(log[-50:]) / 50:.3f}\n'
            f'one-step denoising: {"; ".join(rows)}\n'
            f'5 samples from noise (50 steps): C1\' RMSD {", ".join(f"{v:.2f}" for v in rmsd.tolist())} Å; '
            f'to the mirror image {", ".join(f"{v:.2f}" for v in rmsd_m.tolist())} Å\n')
    print(text)
    write_text(OUT / 'diffusion_overfit_denoiser.txt', text)


if __name__ == '__main__':
    what = sys.argv[1]
    if what == 'size': print(json.dumps(one_size(int(sys.argv[2]), 5)))
    elif what == 'train': print(json.dumps(train_throughput()))
    elif what == 'timing': timing()
    elif what == 'overfit': overfit(*(int(a) for a in sys.argv[2:3]))
    elif what == 'overfit_denoiser': overfit_denoiser(*(int(a) for a in sys.argv[2:3]))
    else: raise SystemExit(__doc__)
