// Service module: see README "Architecture".
