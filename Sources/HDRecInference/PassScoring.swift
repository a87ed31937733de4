// The one seam between "something that computes HDRec's two passes" and everything
// downstream of them (fusion, ranking, the evaluation harness): the served model
// (HDRecModel over the Llama decoder) and the trainer's f32 network in eval mode
// (Training's TrainedPassScorer) both conform, so validation during training,
// `hdrec evaluate` and serving rank through the same HDRecScorer and Fusion code.

/// Computes the raw IPL logits of the text pass and the ID pass (paper §3.5,
/// z_text and z_id before fusion) for a batch of histories.
public protocol HDRecPassScoring: AnyObject {
    /// I, the length of each logit row.
    var itemCount: Int { get }
    /// Both passes for each history (IPL indices, oldest first), rows aligned with `histories`.
    func passScores(histories: [[Int]]) throws -> HDRecModel.PassScores
}

extension HDRecModel: HDRecPassScoring {}

extension HDRecModel.PassScores {
    /// Pass rows without timings (for scorers that do not time their passes).
    public init(text: [[Float]], id: [[Float]], usedHistory: [[Int]]) {
        self.init(text: text, id: id, usedHistory: usedHistory, textMilliseconds: 0, idMilliseconds: 0)
    }
}
