// Kernels module: see README "Architecture".
