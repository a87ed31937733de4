// Tokenizer module: see README "Architecture".
