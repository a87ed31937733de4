// fuzz-peft: PEFT adapter_config.json (ModelFiles.PEFTAdapterConfig) on the input as the
// file's text. Invariants for a config it accepts:
//   - r > 0, lora_alpha and lora_dropout finite, patterns positive/finite;
//   - jsonText() succeeds, and parsing it gives an equal config (unknown fields kept);
//   - the derived accessors (scaling, target selection, exclude_modules,
//     layers_to_transform, flags) do not trap.
import FuzzSupport
import ModelFiles

func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let config = try? PEFTAdapterConfig(json: text) else { return 0 }
    require(config.r > 0, "r = \(config.r)")
    require(config.loraAlpha.isFinite && config.loraDropout.isFinite, "non-finite alpha or dropout")
    require(config.rankPattern.values.allSatisfy { $0 > 0 }, "rank pattern")
    require(config.alphaPattern.values.allSatisfy(\.isFinite), "alpha pattern")
    _ = (config.scaling, config.targetSelection, try? config.excludeModules(), try? config.layersToTransform(),
         try? config.otherFlag("lora_bias"))
    let written: String
    do { written = try config.jsonText() } catch {
        require(false, "an accepted config cannot be written: \(error)")
        return 0
    }
    do {
        let again = try PEFTAdapterConfig(json: written)
        require(again == config, "write -> read changed the config:\n\(written.prefix(400))")
        let rewritten = try again.jsonText()
        require(rewritten == written, "jsonText is not stable")
    } catch {
        require(false, "the written config does not parse: \(error)\n\(written.prefix(400))")
    }
    return 0
}
