"""The model: obligation under a rule, snapshots, status at a snapshot."""
