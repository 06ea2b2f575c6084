"""Names vulture (80% confidence) reports that are used: Protocol stub parameters."""

# ganlab/contracts.py: parameter names of the Protocol methods document the contracts
hyperparameters  # noqa: B018, F821
param_name  # noqa: B018, F821
param_distribution  # noqa: B018, F821
