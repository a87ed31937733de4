// Tensor: an owned, zero-initialised, contiguous buffer of training scalars.
//
// Ops take raw pointers (llm.c style: outputs, inputs, saved activations, sizes); this class is
// the convenience owner for activations, scratch space and tests. It is deliberately not a
// tensor library: no shapes, no strides, no autograd graph. Shapes live in doc comments.

/// An owned, contiguous, zero-initialised buffer of `count` elements.
public final class Tensor<T: TrainScalar> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<T>

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [T]) {
        self.init(count: values.count)
        for i in 0..<values.count { pointer[i] = values[i] }
    }

    deinit { pointer.deallocate() }

    /// Read-only view for op inputs.
    @inlinable public var const: UnsafePointer<T> { UnsafePointer(pointer) }

    @inlinable public subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Bytes of storage, for memory accounting.
    public var byteCount: Int { count * MemoryLayout<T>.stride }
}
