// Quant module: see README "Architecture".
