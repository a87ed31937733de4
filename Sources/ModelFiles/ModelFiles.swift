// ModelFiles module: see README "Architecture".
