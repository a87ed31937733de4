// Unaligned SIMD loads and stores on Float pointers, the only memory primitives the
// kernels use. Unaligned forms compile to vmovups, which costs nothing extra on
// Zen 3 when the address happens to be aligned.

extension UnsafePointer where Pointee == Float {
    @inline(__always) @usableFromInline
    func load8(_ offset: Int = 0) -> SIMD8<Float> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always) @usableFromInline
    func load8(_ offset: Int = 0) -> SIMD8<Float> {
        UnsafeRawPointer(self + offset).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) @usableFromInline
    func store8(_ value: SIMD8<Float>, _ offset: Int = 0) {
        UnsafeMutableRawPointer(self + offset).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}
