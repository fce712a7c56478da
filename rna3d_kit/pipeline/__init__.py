"""The run path: worker processes, prediction under a budget, sharding, evaluation, the Kaggle kernel."""
