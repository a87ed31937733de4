// Kernels module: the numeric foundation every model component runs on.
//
//   ThreadPool          persistent workers, one job at a time (ThreadPool.swift)
//   MatMul              f32 products, tiled for a 6×16 AVX2/FMA micro-kernel
//   LinearKernel        the blocked W·xᵀ product, also used by Quant's dequantizing path
//   Vector ops          dot / axpy / scale / add / mul, rmsnorm, softmax, silu·up, fast exp
//
// Everything is written with Swift SIMD types; Package.swift's `-Xcc -mavx2 -mfma`
// reaches Swift code generation too (checked with objdump, see docs/kernels.md).
