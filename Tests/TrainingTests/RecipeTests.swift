// Training recipes: the embedded copies equal the committed files, the paper recipe holds
// Table 2, the cpu recipe is exactly the earlier settings, and bad recipes name the key.
import Foundation
import Testing
@testable import Training

@Suite("Training recipes")
struct RecipeTests {
    static let recipesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Recipes").path

    @Test("every Recipes/*.json file is embedded byte for byte, and nothing else is")
    func embeddedEqualsFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.recipesDirectory).filter { $0.hasSuffix(".json") }
        #expect(Set(files.map { String($0.dropLast(5)) }) == Set(EmbeddedRecipes.all.keys))
        for file in files {
            let text = try String(contentsOfFile: Self.recipesDirectory + "/" + file, encoding: .utf8)
            #expect(EmbeddedRecipes.all[String(file.dropLast(5))].map { $0 + "\n" } == text,
                    "Recipes/\(file) differs from its embedded copy: run python3 Tools/embed_recipes.py")
            let recipe = try TrainingRecipe.named(String(file.dropLast(5)))
            #expect(recipe.name == String(file.dropLast(5)))
        }
    }

    @Test("every recipe reads as Foundation's JSONDecoder read it; json() reads back equal in both")
    func recipesAgreeWithFoundation() throws {
        for (name, text) in EmbeddedRecipes.all {
            let recipe = try TrainingRecipe.decode(Data(text.utf8), source: name)
            #expect(recipe == (try JSONDecoder().decode(TrainingRecipe.self, from: Data(text.utf8))), "\(name)")
            let written = try recipe.json()
            #expect(try TrainingRecipe.decode(written, source: name) == recipe)
            #expect(try JSONDecoder().decode(TrainingRecipe.self, from: written) == recipe)
        }
    }

    @Test("the paper recipe holds Table 2 for Scientific, paper-games for Games")
    func paperHoldsTable2() throws {
        let p = try TrainingRecipe.named("paper")
        #expect(p.learningRate == 1.5e-4 && p.batchSize == 10 && p.epochs == 10 && p.klWeight == 0.7 && p.alpha == 0.5)
        #expect(p.layers == nil && p.ipl == .mlp && !p.idAnchor)
        let o = p.options()
        #expect(o.fixedAlpha == 0.5 && o.klWeight == 0.7 && o.learningRate == 1.5e-4)
        #expect(p.network(baseLayers: 30).layers == 30)
        let g = try TrainingRecipe.named("paper-games")
        #expect(g.epochs == 12 && g.klWeight == 0.3 && g.alpha == 0.5 && g.learningRate == 1.5e-4)
    }

    @Test("the cpu recipe reproduces the earlier cpu profile exactly")
    func cpuIsTheOldProfile() throws {
        let r = try TrainingRecipe.named("cpu")
        #expect(r.options() == TrainingOptions.cpu)
        var old = HDRecNetworkConfig(layers: 4, projectorHidden: 512, iplHidden: 512)
        old.trainNorms = false
        #expect(r.network(baseLayers: 30) == old)
        #expect(r.network(baseLayers: 2).layers == 2)
        #expect(r.prompt().maxItems == 8 && r.prompt().maxAttributeTokens == 24)
    }

    @Test("the default recipe uses the item-anchored heads, chooses α on validation and selects on ≥ 2,000 users")
    func defaultRecipe() throws {
        let r = try TrainingRecipe.named("default")
        #expect(r.ipl == .factorized && r.idAnchor && r.ridgeProjector && r.alpha == nil)
        #expect(r.validationUsers == 0 || r.validationUsers >= 2000)
        let n = r.network(baseLayers: 30)
        #expect(n.isCut == (r.loraLayers.map { $0 < n.layers } ?? false))
    }

    @Test("a bad or incomplete recipe is refused, naming the source and the key")
    func badRecipes() throws {
        var json = try JSONSerialization.jsonObject(with: Data(EmbeddedRecipes.all["default"]!.utf8)) as! [String: Any]
        json["iplDropout"] = 1.5
        let bad = try JSONSerialization.data(withJSONObject: json)
        #expect(throws: HDRecTrainingError.recipe(source: "x.json", key: "iplDropout", problem: "1.5 (expected in [0, 1))")) {
            try TrainingRecipe.decode(bad, source: "x.json")
        }
        json["iplDropout"] = 0.1
        json.removeValue(forKey: "epochs")
        let missing = try JSONSerialization.data(withJSONObject: json)
        // A missing key is reported at the object that lacks it (here the whole file, byte 0).
        #expect(throws: HDRecTrainingError.recipe(source: "y.json", key: "epochs", problem: "missing (byte 0)")) {
            try TrainingRecipe.decode(missing, source: "y.json")
        }
        json["epochs"] = "three"
        let typed = try JSONSerialization.data(withJSONObject: json)
        let at = try #require([UInt8](typed).indices.first { [UInt8](typed)[$0...].starts(with: Array(#""epochs":"three""#.utf8)) })
        #expect(throws: HDRecTrainingError.recipe(source: "z.json", key: "epochs", problem: "expected Int, found string (byte \(at))")) {
            try TrainingRecipe.decode(typed, source: "z.json")
        }
        json["epochs"] = 2.5
        let fractional = try JSONSerialization.data(withJSONObject: json)
        do {
            _ = try TrainingRecipe.decode(fractional, source: "f.json")
            Issue.record("a fractional epoch count was accepted")
        } catch let HDRecTrainingError.recipe(source, key, problem) {
            #expect(source == "f.json" && key == "epochs" && problem.hasPrefix("2.5 is not an exact Int (byte "))
        }
        // A key given twice: Foundation kept the last silently; now the file is refused where the repeat stands.
        let twice = Data(EmbeddedRecipes.all["default"]!.replacingOccurrences(of: "{", with: "{\"epochs\": 1, ", options: [], range: nil).utf8)
        do {
            _ = try TrainingRecipe.decode(twice, source: "d.json")
            Issue.record("a repeated key was accepted")
        } catch let HDRecTrainingError.recipe(source, key, problem) {
            #expect(source == "d.json" && key == "(file)" && problem.contains("duplicate member \"epochs\""))
        }
        #expect(throws: HDRecTrainingError.self) { try TrainingRecipe.named("nope") }
    }

    @Test("λ warm-up rises linearly to λ over its fraction of the steps; without it λ holds from step 0")
    func klWarmup() {
        var o = TrainingOptions.cpu
        o.klWeight = 0.8
        #expect(o.klWeight(step: 0, totalSteps: 100) == 0.8)
        o.klWarmupFraction = 0.5
        #expect(abs(o.klWeight(step: 0, totalSteps: 100) - 0.8 / 50) < 1e-12)
        #expect(abs(o.klWeight(step: 24, totalSteps: 100) - 0.8 * 25 / 50) < 1e-12)
        #expect(o.klWeight(step: 49, totalSteps: 100) == 0.8)
        #expect(o.klWeight(step: 99, totalSteps: 100) == 0.8)
    }
}
