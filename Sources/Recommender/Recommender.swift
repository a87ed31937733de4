// Recommender module: see README "Architecture".
