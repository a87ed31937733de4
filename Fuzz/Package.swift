// swift-tools-version: 6.0
// Coverage-guided fuzz targets (libFuzzer + AddressSanitizer) for HDRec's input parsers.
// A package of its own so that the sanitizer build never touches the release build:
//   swift build --package-path Fuzz --scratch-path .build/fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// (run from the repository root; `make fuzz` and `make fuzz-smoke` do this). Each
// executable's `main` is libFuzzer's; see docs/fuzzing.md.
import PackageDescription

let hdrec: Package.Dependency = .package(name: "hdrec", path: "..")

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(name: "fuzz-\(name)",
                      dependencies: ["FuzzSupport"] + products.map { .product(name: $0, package: "hdrec") },
                      path: "Targets/\(name)")
}

let package = Package(
    name: "hdrec-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [hdrec],
    targets: [
        .target(name: "FuzzSupport", path: "Sources/FuzzSupport"),
        fuzzTarget("http", ["HTTP"]),
        fuzzTarget("json", ["JSON", "HTTP", "Service", "HDRecInference"]),
        fuzzTarget("gguf", ["ModelFiles"]),
        fuzzTarget("safetensors", ["ModelFiles"]),
        fuzzTarget("peft", ["ModelFiles"]),
        fuzzTarget("manifest", ["HDRecInference"]),
        fuzzTarget("catalog", ["HDRecInference"]),
    ]
)
