// Global-norm gradient clipping, as torch.nn.utils.clip_grad_norm_: the L2 norm over all selected
// gradients together (accumulated in Double); when it exceeds maxNorm, every selected gradient is
// scaled by maxNorm / (norm + 1e-6).

/// Clips gradients by their global L2 norm.
public enum GradientClipping {
    /// - Returns: the global norm before clipping.
    @discardableResult
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func clipGlobalNorm<T: TrainScalar>(_ store: ParameterStore<T>, maxNorm: Double,
                                                      where select: (ParameterSpec) -> Bool = { _ in true }) -> Double {
        let norm = globalNorm(store, where: select)
        let coef = maxNorm / (norm + 1e-6)
        if coef < 1 {
            let c = T(coef)
            for s in store.layout.specs where select(s) {
                let g = store.gradients.pointer + s.offset
                for i in 0..<s.count { g[i] *= c }
            }
        }
        return norm
    }

    /// √(Σ g²) over the selected tensors.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func globalNorm<T: TrainScalar>(_ store: ParameterStore<T>,
                                                  where select: (ParameterSpec) -> Bool = { _ in true }) -> Double {
        var ss = 0.0
        for s in store.layout.specs where select(s) {
            let g = store.gradients.pointer + s.offset
            for i in 0..<s.count { let x = Double(g[i]); ss += x * x }
        }
        return ss.squareRoot()
    }
}
