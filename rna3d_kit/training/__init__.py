"""Training: the one Accelerate loop with exact resume, and Stage B torsion training."""
