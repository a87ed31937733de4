// The Llama forward pass (llama2.c run.c `forward`, batched): every new position of
// every sequence in the pass goes through each layer as one [T, ·] matrix, so each
// weight matrix is read once per layer, not once per token.
//
//   x = embed(items)                                       # [T, C] token rows or given rows
//   for each layer:
//       h = rmsnorm(x) · attn_norm
//       q, k, v = h·Wqᵀ, h·Wkᵀ, h·Wvᵀ  (+ Σ s·B(A h)) (+ b)  # LoRA unmerged; biases: Qwen2
//       rope(q), rope(k)  (Llama: adjacent pairs, NORM; Qwen2: halves, NEOX)
//       cache ← k, v;  a = causal GQA attention(q, cache)
//       x += a·Woᵀ (+ LoRA)
//       h = rmsnorm(x) · ffn_norm
//       x += (silu(h·Wgateᵀ) * (h·Wupᵀ))·Wdownᵀ (+ LoRA)     # self.w2(F.silu(self.w1(x)) * self.w3(x))
//   hidden = rmsnorm(x) · output_norm;  logits = hidden·Woutputᵀ (selected rows only)
import Kernels
import Quant

extension LlamaModel {
    /// Runs one forward pass over several independent sequences and advances their caches.
    ///
    /// - Parameters:
    ///   - sequences: the new positions of each sequence with its KV cache (a cache may
    ///     appear once per pass). Positions continue from `cache.count`.
    ///   - adapters: LoRA adapters applied in this pass (any number, each with a user scale).
    ///   - logits: which positions get vocabulary logits.
    ///   - hidden: which positions' hidden states are returned. With `.last`, the last
    ///     layer computes only keys and values at the other positions (what the cache
    ///     needs), and its queries, attention, output projection and feed-forward at each
    ///     sequence's last position alone (llama.cpp does the same for unused outputs).
    ///   - pool: the threads to use.
    /// - Returns: per sequence, the final-norm hidden states of its new positions (or of
    ///   its last one) and the requested logits.
    public func forward(_ sequences: [SequenceInput], adapters: [ActiveAdapter] = [],
                        logits: LogitsSelection = .last, hidden: HiddenSelection = .all,
                        pool: ThreadPool = .shared) throws -> [SequenceOutput] {
        let cfg = config
        let c = cfg.width, kvw = cfg.kvWidth, f = cfg.ffnWidth, d = cfg.headDim
        try validate(sequences, adapters: adapters)
        if hidden == .last, logits == .all {
            throw LlamaError.invalidArgument("logits at every position need the hidden states of every position")
        }

        // Row bookkeeping: row r of the pass is position rowPosition[r] of sequence rowSequence[r].
        var rowSequence: [Int] = [], rowPosition: [Int] = [], firstRow: [Int] = []
        for (s, seq) in sequences.enumerated() {
            firstRow.append(rowSequence.count)
            for i in 0 ..< seq.items.count {
                rowSequence.append(s)
                rowPosition.append(seq.cache.count + i)
            }
        }
        let t = rowSequence.count
        for seq in sequences { try seq.cache.reserve(extra: seq.items.count) }

        let maxRank = adapters.flatMap { $0.adapter.pairs.values.map(\.rank) }.max() ?? 0
        let ws = Workspace(rows: t, config: cfg, maxRank: maxRank)
        try embed(sequences, into: ws.x.baseAddress!)
        rope.angles(positions: rowPosition, cos: ws.cos.baseAddress!, sin: ws.sin.baseAddress!)

        let x = ws.x.baseAddress!, h = ws.h.baseAddress!
        // Rows that go on through the layer: all t, until the last layer of a `.last` pass
        // narrows them to one per sequence (row s = sequence s's last position).
        var rows = t, rowOfFirst = firstRow
        var attended = sequences.map { 0 ..< $0.items.count }
        for (l, layer) in layers.enumerated() {
            let narrows = hidden == .last && l == layers.count - 1
            // Attention block: keys and values at every position (the cache keeps them all).
            rmsNormRows(h, x, layer.attentionNorm, rows: t, pool: pool)
            project(layer, l, .k, h, ws.k.baseAddress!, rows: t, accumulate: false, adapters, ws, pool)
            project(layer, l, .v, h, ws.v.baseAddress!, rows: t, accumulate: false, adapters, ws, pool)
            rope.rotate(ws.k.baseAddress!, rows: 0 ..< t, stride: kvw, heads: cfg.kvHeadCount, headDim: d,
                        cos: ws.cos.baseAddress!, sin: ws.sin.baseAddress!)
            storeKV(layer: l, sequences, rowSequence: rowSequence, rowPosition: rowPosition, ws)
            if narrows {
                // Row s ← row lastRow(s); ascending s never overwrites a row still to be read.
                let lastRows = sequences.indices.map { firstRow[$0] + sequences[$0].items.count - 1 }
                for (s, r) in lastRows.enumerated() where r != s {
                    (h + s * c).update(from: h + r * c, count: c)
                    (x + s * c).update(from: x + r * c, count: c)
                    let half = cfg.ropeDimensionCount / 2
                    (ws.cos.baseAddress! + s * half).update(from: ws.cos.baseAddress! + r * half, count: half)
                    (ws.sin.baseAddress! + s * half).update(from: ws.sin.baseAddress! + r * half, count: half)
                }
                rows = sequences.count
                rowOfFirst = Array(0 ..< rows)
                attended = sequences.map { $0.items.count - 1 ..< $0.items.count }
            }
            project(layer, l, .q, h, ws.q.baseAddress!, rows: rows, accumulate: false, adapters, ws, pool)
            rope.rotate(ws.q.baseAddress!, rows: 0 ..< rows, stride: c, heads: cfg.headCount, headDim: d,
                        cos: ws.cos.baseAddress!, sin: ws.sin.baseAddress!)
            attend(layer: l, sequences, firstRow: rowOfFirst, positions: attended, ws, pool: pool)
            project(layer, l, .o, ws.att.baseAddress!, x, rows: rows, accumulate: true, adapters, ws, pool)

            // Feed-forward block
            rmsNormRows(h, x, layer.ffnNorm, rows: rows, pool: pool)
            project(layer, l, .gate, h, ws.gate.baseAddress!, rows: rows, accumulate: false, adapters, ws, pool)
            project(layer, l, .up, h, ws.up.baseAddress!, rows: rows, accumulate: false, adapters, ws, pool)
            let g = ws.gate.baseAddress!, u = ws.up.baseAddress!
            parallelRows(rows, pool: pool) { r in Vector.siluMul(g + r * f, u + r * f, count: f) }
            project(layer, l, .down, g, x, rows: rows, accumulate: true, adapters, ws, pool)
        }
        rmsNormRows(h, x, outputNorm, rows: rows, pool: pool)
        for seq in sequences { seq.cache.advance(by: seq.items.count) }
        return collect(sequences, firstRow: rowOfFirst, hidden: h, narrowed: rows < t, logits: logits, pool: pool)
    }

    /// Convenience for one sequence.
    public func forward(_ items: [InputItem], cache: KVCache, adapters: [ActiveAdapter] = [],
                        logits: LogitsSelection = .last, hidden: HiddenSelection = .all,
                        pool: ThreadPool = .shared) throws -> SequenceOutput {
        try forward([SequenceInput(items: items, cache: cache)], adapters: adapters, logits: logits, hidden: hidden,
                    pool: pool)[0]
    }

    // MARK: - Steps

    private func validate(_ sequences: [SequenceInput], adapters: [ActiveAdapter]) throws {
        guard !sequences.isEmpty else { throw LlamaError.emptyInput }
        var seen = Set<ObjectIdentifier>()
        for seq in sequences {
            guard !seq.items.isEmpty else { throw LlamaError.emptyInput }
            guard seen.insert(ObjectIdentifier(seq.cache)).inserted else {
                throw LlamaError.invalidArgument("one KV cache appears twice in a forward pass")
            }
            guard seq.cache.layerCount == config.layerCount, seq.cache.kvHeadCount == config.kvHeadCount,
                  seq.cache.headDim == config.headDim else {
                throw LlamaError.invalidArgument("the KV cache was made for another model configuration")
            }
            let needed = seq.cache.count + seq.items.count
            guard needed <= seq.cache.maxPositions else {
                throw LlamaError.contextOverflow(needed: needed, contextLength: seq.cache.maxPositions)
            }
            for (i, item) in seq.items.enumerated() {
                switch item {
                case let .token(id):
                    guard id >= 0, Int(id) < config.vocabSize else {
                        throw LlamaError.tokenOutOfRange(id: id, position: seq.cache.count + i, vocabSize: config.vocabSize)
                    }
                case let .embedding(row):
                    guard row.count == config.width else {
                        throw LlamaError.embeddingWidthMismatch(position: seq.cache.count + i, expected: config.width, found: row.count)
                    }
                }
            }
        }
        for active in adapters where active.adapter.base != config {
            throw LlamaError.invalidArgument("LoRA adapter '\(active.adapter.name)' was loaded for a different base model")
        }
    }

    /// x[r] = the item's embedding row.
    private func embed(_ sequences: [SequenceInput], into x: UnsafeMutablePointer<Float>) throws {
        let c = config.width
        var r = 0
        for seq in sequences {
            for item in seq.items {
                let dst = UnsafeMutableBufferPointer(start: x + r * c, count: c)
                switch item {
                case let .token(id): try tokenEmbedding.dequantizeRow(Int(id), into: dst)
                case let .embedding(row): _ = dst.initialize(from: row)
                }
                r += 1
            }
        }
    }

    /// y[rows, out] (+)= x[rows, in]·Wᵀ plus every active adapter's delta on this matrix,
    /// plus the matrix's bias [out] when the file has one.
    private func project(_ layer: LayerWeights, _ l: Int, _ target: LoRATarget,
                         _ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int,
                         accumulate: Bool, _ adapters: [ActiveAdapter], _ ws: Workspace, _ pool: ThreadPool) {
        let w = layer[target]
        QuantizedMatMul.linear(y, x, weight: w, m: rows, accumulate: accumulate, pool: pool, activations: activations,
                               packed: layer.packed(target), decoded: layer.decoded(target))
        for active in adapters {
            guard let pair = active.adapter.pairs[LoRASite(layer: l, target: target)] else { continue }
            let scale = active.userScale * active.adapter.scale(rank: pair.rank)
            LoRAMath.addDelta(y, x, pair: pair, scale: scale, rows: rows, scratch: ws.lora.baseAddress!, pool: pool)
        }
        if let bias = layer.biases[target] {
            let n = w.rows
            bias.withUnsafeBufferPointer { b in
                for r in 0 ..< rows {
                    let yr = y + r * n
                    for j in 0 ..< n { yr[j] += b[j] }
                }
            }
        }
    }

    private func rmsNormRows(_ out: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, _ w: [Float],
                             rows: Int, pool: ThreadPool) {
        let c = config.width, eps = config.rmsEpsilon
        w.withUnsafeBufferPointer { wb in
            let wp = wb.baseAddress!
            parallelRows(rows, pool: pool) { r in Vector.rmsNorm(x + r * c, weight: wp, eps: eps, into: out + r * c, count: c) }
        }
    }

    /// Copies the rotated keys and the values of this pass into each sequence's cache.
    private func storeKV(layer l: Int, _ sequences: [SequenceInput], rowSequence: [Int], rowPosition: [Int], _ ws: Workspace) {
        let d = config.headDim, kvw = config.kvWidth
        for r in 0 ..< rowSequence.count {
            let cache = sequences[rowSequence[r]].cache
            for kh in 0 ..< config.kvHeadCount {
                let offset = rowPosition[r] * d
                (cache.keyBase(layer: l, kvHead: kh) + offset).update(from: ws.k.baseAddress! + r * kvw + kh * d, count: d)
                (cache.valueBase(layer: l, kvHead: kh) + offset).update(from: ws.v.baseAddress! + r * kvw + kh * d, count: d)
            }
        }
    }

    /// att[r, head h] = causal attention of q[r, head h] over its sequence's cache, in
    /// blocks of up to 32 consecutive rows of one head (Attention.attendBlock). Sequence s
    /// attends at its new positions `positions[s]`, whose first is workspace row `firstRow[s]`.
    private func attend(layer l: Int, _ sequences: [SequenceInput], firstRow: [Int], positions: [Range<Int>],
                        _ ws: Workspace, pool: ThreadPool) {
        let cfg = config, c = cfg.width, d = cfg.headDim, heads = cfg.headCount
        let rowsPerItem = 32
        // Work items: (sequence, head, block of the sequence's new positions).
        var items: [(seq: Int, head: Int, rows: Range<Int>)] = []
        for s in sequences.indices {
            let span = positions[s]
            for hh in 0 ..< heads {
                var start = span.lowerBound
                while start < span.upperBound {
                    items.append((s, hh, start ..< min(span.upperBound, start + rowsPerItem)))
                    start += rowsPerItem
                }
            }
        }
        let scale = 1 / Float(d).squareRoot()
        let q = ws.q.baseAddress!, att = ws.att.baseAddress!
        let caches = sequences.map(\.cache)
        let maxKeys = sequences.map { $0.cache.count + $0.items.count }.max() ?? 1
        let scratchCount = Attention.blockScratchCount(rows: rowsPerItem, keys: maxKeys, headDim: d)
        pool.parallelFor(items.count) { i in
            let item = items[i]
            let cache = caches[item.seq]
            let kvh = item.head / cfg.headsPerKVHead
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            let r0 = firstRow[item.seq] + item.rows.lowerBound - positions[item.seq].lowerBound
            Attention.attendBlock(out: att + r0 * c + item.head * d, outStride: c,
                                  q: q + r0 * c + item.head * d, qStride: c, rows: item.rows.count,
                                  firstPosition: cache.count + item.rows.lowerBound,
                                  keys: cache.keyBase(layer: l, kvHead: kvh), values: cache.valueBase(layer: l, kvHead: kvh),
                                  headDim: d, scale: scale, scratch: scratch)
        }
    }

    /// Splits per-sequence hidden states and computes the selected logits with one LM-head
    /// product over the selected rows of all sequences. `narrowed`: h holds one row per
    /// sequence (its last position), row s for sequence s.
    private func collect(_ sequences: [SequenceInput], firstRow: [Int], hidden h: UnsafeMutablePointer<Float>,
                         narrowed: Bool, logits selection: LogitsSelection, pool: ThreadPool) -> [SequenceOutput] {
        let c = config.width, v = config.vocabSize
        let rowCount = sequences.map { narrowed ? 1 : $0.items.count }
        var selected: [[Int]] = []   // per sequence, rows of the pass
        for s in sequences.indices {
            let n = rowCount[s], start = firstRow[s]
            switch selection {
            case .none: selected.append([])
            case .last: selected.append([start + n - 1])
            case .all: selected.append(Array(start ..< start + n))
            }
        }
        let rows = selected.flatMap { $0 }
        var all = [Float](repeating: 0, count: rows.count * v)
        if !rows.isEmpty {
            let gathered = UnsafeMutablePointer<Float>.allocate(capacity: rows.count * c)
            defer { gathered.deallocate() }
            for (i, r) in rows.enumerated() { (gathered + i * c).update(from: h + r * c, count: c) }
            all.withUnsafeMutableBufferPointer { lb in
                QuantizedMatMul.linear(lb.baseAddress!, gathered, weight: output, m: rows.count, accumulate: false, pool: pool)
            }
        }
        var outputs: [SequenceOutput] = []
        var next = 0
        for (s, seq) in sequences.enumerated() {
            let hidden = Array(UnsafeBufferPointer(start: h + firstRow[s] * c, count: rowCount[s] * c))
            let k = selected[s].count
            let logits = Array(all[next * v ..< (next + k) * v])
            next += k
            outputs.append(SequenceOutput(count: seq.items.count, hidden: hidden, logits: logits, logitRows: k))
        }
        return outputs
    }

    /// Runs body(r) for every row, in parallel when there are enough rows to pay for it.
    private func parallelRows(_ rows: Int, pool: ThreadPool, _ body: (Int) -> Void) {
        if rows < 8 {
            for r in 0 ..< rows { body(r) }
            return
        }
        let chunk = 8
        pool.parallelFor((rows + chunk - 1) / chunk) { i in
            for r in i * chunk ..< min(rows, (i + 1) * chunk) { body(r) }
        }
    }
}
