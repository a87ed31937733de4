// Training module: see docs/architecture.md and docs/training.md.
