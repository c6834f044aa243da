"""Framework integrations (imported on demand; each needs its framework installed)."""
