"""Geometry without networks: secondary structure, the C1' restraint core, the metric, torsions, NeRF, full-atom rebuild and minimisation."""
