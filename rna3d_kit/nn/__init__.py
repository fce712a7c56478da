"""The networks: primitives, the torsion model, Pairformer trunk, latent merger, diffusion, losses, the fold model."""
