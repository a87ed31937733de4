// Small facts about a base GGUF that commands need before loading it whole.
import Llama
import ModelFiles

public enum BaseInfo {
    /// The decoder layer count (`llama.block_count`) of the base GGUF at `path`.
    public static func layerCount(ofGGUF path: String) throws -> Int {
        let gguf = try GGUFFile(path: path)
        guard let embedding = gguf.tensor(named: LlamaTensorName.tokenEmbedding) else {
            throw HDRecTrainingError.missingBaseTensor(name: LlamaTensorName.tokenEmbedding)
        }
        return try LlamaConfig(gguf: gguf, vocabularyRows: embedding.shape.count == 2 ? embedding.shape[1] : nil).layerCount
    }
}
