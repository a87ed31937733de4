// Training module: see README "Architecture".
