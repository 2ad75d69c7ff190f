"""What users type in: follow-up, its import, workshops."""
