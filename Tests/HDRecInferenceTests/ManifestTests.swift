// manifest.json: round trip in snake_case, format checks, field-naming errors,
// and BundleLayout.verify over a temporary directory with a stand-in hash.
import Foundation
import Testing
@testable import HDRecInference

func sampleManifest(files: [String: String] = [:], textVersion: String = "aaaaaaaaaaaa", idVersion: String = "bbbbbbbbbbbb") -> BundleManifest {
    BundleManifest(
        command: "hdrec export --run r --out b", created: "2026-11-29T16:00:00Z",
        dataset: .init(name: "Scientific", itemCount: 3, userCount: 10),
        base: .init(fileName: "stories260K.gguf", sha256: "00ff", layers: 5),
        dimensions: HeadsDimensions(projectorHidden: 6, modelWidth: 64, iplHidden: 5, itemCount: 3),
        prompt: PromptConfiguration(), fusion: .init(alpha: 0.5),
        adapters: .init(text: .init(path: "adapters/text", version: textVersion), id: .init(path: "adapters/id", version: idVersion)),
        hyperparameters: ["lora_rank": .number(8), "targets": .array([.string("q"), .string("v")])],
        metrics: ["valid": ["NDCG@10": 0.1], "test": ["MRR": 0.05]], files: files)
}

@Suite("Bundle manifest")
struct ManifestTests {
    @Test("round trip; keys are snake_case; metric and hyper-parameter keys are kept as written")
    func roundTrip() throws {
        let m = sampleManifest(files: ["catalog.jsonl": "ab"])
        let data = try m.encoded()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"format_version\": 2"))
        #expect(text.contains("\"item_count\": 3"))
        #expect(text.contains("\"user_instruction\""))
        #expect(text.contains("\"NDCG@10\""))
        #expect(text.contains("\"method\": \"text-dominant\""))
        #expect(text.contains("\"path\": \"adapters/text\""))
        #expect(try BundleManifest.decode(data, path: "m") == m)
        // What this build writes, Foundation's decoder (the reader before the JSON module's) reads the same.
        let foundation = JSONDecoder()
        foundation.keyDecodingStrategy = .convertFromSnakeCase
        #expect(try foundation.decode(BundleManifest.self, from: data) == m)
    }

    @Test("format, version and fields are checked with the field named", arguments: [
        (#"[1]"#, "m.json: field '(file)': not a JSON object"),
        (#"{"format":"other","format_version":1}"#, "m.json: field 'format': expected \"hdrec-bundle\", found \"other\""),
        (#"{"format":"hdrec-bundle","format_version":3}"#, "m.json: field 'format_version': this build reads versions 1 to 2, found 3"),
        (#"{"format":"hdrec-bundle","format_version":1.5}"#, "m.json: field 'format_version': 1.5 is not an exact Int (byte 25)"),
        (#"{"format":"hdrec-bundle","format":"hdrec-bundle"}"#, "m.json: field '(file)': invalid JSON at byte 33: duplicate member \"format\""),
        (#"{"format":"hdrec-bundle",}"#, "m.json: field '(file)': invalid JSON at byte 25: expected a member name"),
    ])
    func formatErrors(json: String, message: String) {
        do {
            _ = try BundleManifest.decode(Data(json.utf8), path: "m.json")
            Issue.record("expected an error")
        } catch { #expect("\(error)" == message) }
    }

    @Test("a missing or mistyped nested field is named in file spelling")
    func fieldErrors() throws {
        var obj = try JSONSerialization.jsonObject(with: try sampleManifest().encoded()) as! [String: Any]
        var adapters = obj["adapters"] as! [String: Any]
        var text = adapters["text"] as! [String: Any]
        text.removeValue(forKey: "version")
        adapters["text"] = text
        obj["adapters"] = adapters
        var bytes = try JSONSerialization.data(withJSONObject: obj)
        do {
            _ = try BundleManifest.decode(bytes, path: "m.json")
            Issue.record("expected an error")
        } catch {
            // The offset is that of the member holding the object that lacks the field.
            let at = try #require(offset(of: #""text":{"#, in: bytes))
            #expect("\(error)" == "m.json: field 'adapters.text.version': missing (byte \(at))")
        }

        obj = try JSONSerialization.jsonObject(with: try sampleManifest().encoded()) as! [String: Any]
        var dims = obj["dimensions"] as! [String: Any]
        dims["item_count"] = "three"
        obj["dimensions"] = dims
        bytes = try JSONSerialization.data(withJSONObject: obj)
        do {
            _ = try BundleManifest.decode(bytes, path: "m.json")
            Issue.record("expected an error")
        } catch {
            let at = try #require(offset(of: #""item_count":"three""#, in: bytes))
            #expect("\(error)" == "m.json: field 'dimensions.item_count': expected Int, found string (byte \(at))")
        }
    }

    /// Where `needle` first starts in `data`.
    func offset(of needle: String, in data: Data) -> Int? {
        let bytes = [UInt8](data), n = Array(needle.utf8)
        return (0 ... bytes.count - n.count).first { bytes[$0 ..< $0 + n.count].elementsEqual(n) }
    }

    @Test("the committed manifest.json decodes to what Foundation's JSONDecoder gave (the reader it was written for)")
    func committedManifestAgreesWithFoundation() throws {
        let data = try Data(contentsOf: FixturePaths.packageRoot.appendingPathComponent("artifacts/default/manifest.json"))
        let foundation = JSONDecoder()
        foundation.keyDecodingStrategy = .convertFromSnakeCase
        let manifest = try BundleManifest.decode(data, path: "manifest.json")
        #expect(manifest == (try foundation.decode(BundleManifest.self, from: data)))
        #expect(!manifest.hyperparameters.isEmpty && !manifest.metrics.isEmpty && manifest.files.count >= 7)
        // Re-written by this build, it reads back equal in both.
        let rewritten = try manifest.encoded()
        #expect(try BundleManifest.decode(rewritten, path: "m") == manifest)
        #expect(try foundation.decode(BundleManifest.self, from: rewritten) == manifest)
    }
}

@Suite("Bundle layout verification")
struct BundleLayoutTests {
    /// Writes the required files; the stand-in "hash" of a file is its text.
    func makeBundle(extra: [String: String] = [:]) throws -> (String, [String: String]) {
        let dir = NSTemporaryDirectory() + "hdrec-layout-\(UUID().uuidString)"
        var files: [String: String] = [
            "heads.safetensors": "h1", "sasrec.safetensors": "s1", "catalog.jsonl": "c1",
            "adapters/text/adapter_model.safetensors": "aaaaaaaaaaaa0000", "adapters/text/adapter_config.json": "t2",
            "adapters/id/adapter_model.safetensors": "bbbbbbbbbbbb1111", "adapters/id/adapter_config.json": "i2",
        ]
        files.merge(extra) { $1 }
        for (rel, content) in files {
            let path = dir + "/" + rel
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return (dir, files)
    }

    let hash: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }

    @Test("a complete bundle verifies")
    func complete() throws {
        let (dir, files) = try makeBundle()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try BundleLayout.verify(sampleManifest(files: files), directory: dir, manifestPath: "m", hash: hash)
    }

    @Test("a changed file, a missing file, a missing entry and a wrong version are each reported")
    func failures() throws {
        let (dir, files) = try makeBundle()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var f = files
        f["heads.safetensors"] = "other"
        #expect(throws: HDRecInferenceError.checksumMismatch(path: dir + "/heads.safetensors", expected: "other", found: "h1")) {
            try BundleLayout.verify(sampleManifest(files: f), directory: dir, manifestPath: "m", hash: hash)
        }
        f = files
        f["notes.txt"] = "x"
        #expect(throws: HDRecInferenceError.missingFile(path: dir + "/notes.txt")) {
            try BundleLayout.verify(sampleManifest(files: f), directory: dir, manifestPath: "m", hash: hash)
        }
        f = files
        f.removeValue(forKey: "sasrec.safetensors")
        #expect(throws: HDRecInferenceError.malformedFile(path: "m", field: "files", problem: "no sha256 for required file 'sasrec.safetensors'")) {
            try BundleLayout.verify(sampleManifest(files: f), directory: dir, manifestPath: "m", hash: hash)
        }
        f = files
        f["../escape"] = "x"
        #expect(throws: HDRecInferenceError.self) {
            try BundleLayout.verify(sampleManifest(files: f), directory: dir, manifestPath: "m", hash: hash)
        }
        #expect(throws: HDRecInferenceError.malformedFile(path: "m", field: "adapters.id.version",
                                                       problem: "is cccccccccccc, but its adapter_model.safetensors gives bbbbbbbbbbbb")) {
            try BundleLayout.verify(sampleManifest(files: files, idVersion: "cccccccccccc"), directory: dir, manifestPath: "m", hash: hash)
        }
    }
}
