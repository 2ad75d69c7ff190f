"""Harvesting: who publishes what, where. One module per publisher kind + the run journal."""
