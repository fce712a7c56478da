"""The predictor protocol and every predictor: baseline, templates, neural, ensemble."""
