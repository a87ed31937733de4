// HTTP module: see README "Architecture".
