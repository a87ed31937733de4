// Tensor: an owned, zero-initialised, contiguous buffer of training scalars.
//
// Ops take raw pointers (llm.c style: outputs, inputs, saved activations, sizes); this class is
// the convenience owner for activations, scratch space and tests. It is deliberately not a
// tensor library: no shapes, no strides, no autograd graph. Shapes live in doc comments.
import Foundation
import Synchronization

/// An owned, contiguous, zero-initialised buffer of `count` elements.
public final class Tensor<T: TrainScalar> {
    public let count: Int
    public let pointer: UnsafeMutablePointer<T>

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        Self.fillZero(pointer, count: max(count, 1))
    }

    /// A buffer whose contents are undefined, for scratch and activations that the caller
    /// overwrites in full before reading (no serial memset on the step thread; docs/training.md
    /// §Speed). While `TensorPoison.enabled` is set the contents are NaN, so a test catches a
    /// read of an element nobody wrote.
    public init(unfilled count: Int) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        if TensorPoison.enabled.load(ordering: .relaxed) {
            pointer.initialize(repeating: .nan, count: max(count, 1))
        }
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

    public func zero() { Self.fillZero(pointer, count: count) }

    /// Zeroes count elements; large buffers in parallel on the pool, so the step thread does not
    /// clear tens of MB alone while the other threads wait.
    static func fillZero(_ p: UnsafeMutablePointer<T>, count: Int) {
        let chunk = 1 << 17
        if count < 2 * chunk { zeroBytes(p, count: count); return }
        let chunks = (count + chunk - 1) / chunk
        parallelFor(chunks) { c in
            let lo = c * chunk
            zeroBytes(p + lo, count: min(chunk, count - lo))
        }
    }

    /// p[0..<count] = 0 as a memset: zero bits are +0 in Float and Double, and a byte fill needs no
    /// specialization when another module calls in with T unknown here.
    @inline(__always)
    static func zeroBytes(_ p: UnsafeMutablePointer<T>, count: Int) {
        _ = memset(p, 0, count * MemoryLayout<T>.stride)
    }

    public var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Bytes of storage, for memory accounting.
    public var byteCount: Int { count * MemoryLayout<T>.stride }
}

/// Test switch: NaN-fill `Tensor(unfilled:)` buffers (see there).
enum TensorPoison {
    static let enabled = Atomic<Bool>(false)
}
