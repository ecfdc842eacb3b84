"""What every source shares: one-line errors, retries, progress and the Arrow page converter."""
