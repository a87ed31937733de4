// fuzz-manifest: a bundle's manifest.json (HDRecInference.BundleManifest.decode) on the
// input as the file. Invariants for a manifest it accepts:
//   - format is "hdrec-bundle" and format_version is one this build reads;
//   - encoded() succeeds, and decoding that gives an equal manifest, whose encoding is
//     the same bytes (the written form is canonical).
// Refusals must be HDRecInferenceError values naming the file.
import Foundation
import FuzzSupport
import HDRecInference

func testOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Data(bytes: data, count: size)
    let manifest: BundleManifest
    do {
        manifest = try BundleManifest.decode(input, path: "manifest.json")
    } catch let e as HDRecInferenceError {
        require("\(e)".contains("manifest.json"), "error does not name the file: \(e)")
        return 0
    } catch {
        require(false, "decode threw a non-HDRecInferenceError \(error)")
        return 0
    }
    require(manifest.format == BundleManifest.formatName, "format \(manifest.format)")
    require(BundleManifest.readableFormatVersions.contains(manifest.formatVersion), "version \(manifest.formatVersion)")
    let encoded: Data
    do { encoded = try manifest.encoded() } catch {
        require(false, "an accepted manifest cannot be encoded: \(error)")
        return 0
    }
    do {
        let again = try BundleManifest.decode(encoded, path: "manifest.json")
        require(again == manifest, "encode -> decode changed the manifest")
        let reencoded = try again.encoded()
        require(reencoded == encoded, "encoding is not stable")
    } catch {
        require(false, "the encoded manifest does not decode: \(error)")
    }
    return 0
}
