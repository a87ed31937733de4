// Llama module: see README "Architecture".
