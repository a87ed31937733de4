// swift-tools-version: 6.0
// HDRec: hybrid dual-semantics LLM recommender (WSDM '26) as a Swift package.
//
// Layering (data flows one way, see README "Architecture"):
//   Kernels -> Quant -> ModelFiles -> Tokenizer -> Llama -> Recommender -> Training  [hdrec]
//                                         RecSys -> Recommender
//   HTTP -> HTTPServer -> Service (uses Recommender)                                  [hdrec-server]
import PackageDescription

// Numeric code is compiled for the machine it runs on (AVX2 + FMA on the
// project's Zen 3 target); `-Ounchecked` drops overflow/bounds traps in hot loops.
let numericSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
    .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"]),
]

let package = Package(
    name: "hdrec",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hdrec", targets: ["hdrec"]),
        .executable(name: "hdrec-server", targets: ["hdrec-server"]),
        // For the fuzz package in Fuzz/ (`make fuzz`), which depends on this one by path;
        // not a supported API.
        .library(name: "HTTP", targets: ["HTTP"]),
        .library(name: "ModelFiles", targets: ["ModelFiles"]),
        .library(name: "Recommender", targets: ["Recommender"]),
        .library(name: "Service", targets: ["Service"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // MARK: - System libraries (design card: libssl-dev, zlib1g-dev)
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", providers: [.apt(["libssl-dev"])]),

        // MARK: - Engine
        .target(name: "Support", dependencies: ["CZlib"]),
        .target(name: "Kernels", swiftSettings: numericSettings),
        // Integer prefill kernels (AVX2 intrinsics behind per-function target attributes).
        .target(name: "CQuantKernels", cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        .target(name: "Quant", dependencies: ["Kernels", "CQuantKernels"], swiftSettings: numericSettings),
        .target(name: "ModelFiles", dependencies: ["Quant", "Support"]),
        .target(name: "Tokenizer", dependencies: ["ModelFiles"]),
        .target(name: "Llama", dependencies: ["Kernels", "Quant", "ModelFiles", "Tokenizer"],
                swiftSettings: numericSettings),

        // MARK: - Recommendation
        .target(name: "RecSys", dependencies: ["Kernels", "ModelFiles", "Support", "CZlib"],
                swiftSettings: numericSettings),
        .target(name: "Recommender", dependencies: ["Llama", "RecSys", "Tokenizer", "ModelFiles", "Support"],
                swiftSettings: numericSettings),
        .target(name: "Training", dependencies: ["Recommender", "Llama", "RecSys", "Kernels", "Support"],
                swiftSettings: numericSettings),

        // MARK: - Serving
        .target(name: "HTTP"),
        .target(name: "CLinux"),
        .target(name: "HTTPServer", dependencies: ["HTTP", "COpenSSL", "CZlib", "CLinux"]),
        .target(name: "Service", dependencies: [
            "CLinux",
            "HTTP", "HTTPServer", "Kernels", "Recommender", "Support",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: - Programs
        .executableTarget(name: "hdrec", dependencies: [
            "Support", "Kernels", "Quant", "ModelFiles", "Tokenizer", "Llama", "RecSys",
            "Recommender", "Training",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "hdrec-server", dependencies: [
            "Service", "HTTPServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: - Tests
        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "QuantTests", dependencies: ["Quant", "Kernels", "CQuantKernels"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles", "Quant"], exclude: ["Fixtures"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "ModelFiles"], exclude: ["Fixtures"]),
        .testTarget(name: "LlamaTests", dependencies: ["Llama", "ModelFiles", "Tokenizer", "Quant", "Kernels"], exclude: ["Fixtures"]),
        .testTarget(name: "RecSysTests", dependencies: ["RecSys", "ModelFiles", "Support"]),
        .testTarget(name: "RecommenderTests", dependencies: ["Recommender", "Llama", "RecSys"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Recommender", "Llama", "RecSys", "Kernels"], exclude: ["Fixtures"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTP"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "HTTP", "HTTPServer", "Recommender"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Support", "Llama", "ModelFiles", "Tokenizer"]),
    ]
)
