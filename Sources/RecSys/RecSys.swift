// RecSys module: see README "Architecture".
