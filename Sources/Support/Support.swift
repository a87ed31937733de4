// Support module: see README "Architecture".
