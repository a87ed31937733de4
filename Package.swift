// swift-tools-version: 6.0
// HDRec: hybrid dual-semantics LLM recommender (WSDM '26) as a Swift package.
//
// Layering (each module is used only by those to its right; docs/architecture.md draws it):
//   Kernels -> Quant -> ModelFiles -> Llama -> HDRecInference -> Training -> Workbench  [hdrec]
//                       ModelFiles -> Tokenizer -> HDRecInference
//                       ModelFiles -> RecSys -> HDRecInference
//   Kernels -> TrainingOps -> RecSys (SASRec) and Training (HDRec): one library of training
//              ops with gradients and AdamW, Float fast paths and Double references
//   HTTP -> HTTPServer -> Service (uses HDRecInference)                                [hdrec-server]
//   Distributed (MPI collectives, dlopened under mpirun) stands alone, used by RecSys (SASRec
//              data-parallel, sharded evaluation), Training (HDRec data-parallel) and hdrec.
//   Support (files, hashing, clocks) and JSON sit at the bottom, below ModelFiles and HTTP;
//   CQuantKernels (C, the integer prefill tiles) sits below Quant.
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
        .library(name: "JSON", targets: ["JSON"]),
        .library(name: "HTTP", targets: ["HTTP"]),
        .library(name: "ModelFiles", targets: ["ModelFiles"]),
        .library(name: "HDRecInference", targets: ["HDRecInference"]),
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
        // Data-parallel training's collectives over Open MPI, loaded with dlopen only in a
        // process that mpirun started: no link-time libmpi, so nothing else needs MPI.
        .target(name: "Distributed"),
        // Strict JSON parsing and serialization for every module that reads or writes JSON;
        // imports nothing, so HTTP stays free of Foundation.
        .target(name: "JSON"),
        .target(name: "Kernels", swiftSettings: numericSettings),
        // Integer prefill kernels (AVX2 intrinsics behind per-function target attributes).
        .target(name: "CQuantKernels", cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        .target(name: "Quant", dependencies: ["Kernels", "CQuantKernels"], swiftSettings: numericSettings),
        .target(name: "ModelFiles", dependencies: ["Quant", "Support", "JSON"]),
        .target(name: "Tokenizer", dependencies: ["ModelFiles"]),
        .target(name: "Llama", dependencies: ["Kernels", "Quant", "ModelFiles"],
                swiftSettings: numericSettings),

        // MARK: - Recommendation
        // The training ops and optimizer both models train with (SASRec in RecSys, HDRec in Training).
        .target(name: "TrainingOps", dependencies: ["Kernels", "Support"], swiftSettings: numericSettings),
        .target(name: "RecSys", dependencies: ["Kernels", "TrainingOps", "Distributed", "ModelFiles", "Support", "JSON", "CZlib"],
                swiftSettings: numericSettings),
        .target(name: "HDRecInference", dependencies: ["Llama", "RecSys", "TrainingOps", "Tokenizer", "ModelFiles", "Support", "JSON"],
                swiftSettings: numericSettings),
        .target(name: "Training", dependencies: ["HDRecInference", "Llama", "RecSys", "TrainingOps", "Kernels", "Support", "JSON", "Distributed"],
                swiftSettings: numericSettings),
        // Tools for measuring and exercising the engine, kept out of the library targets:
        // the training-step and block benchmarks (hdrec bench-train, BENCHMARKS.md) and the
        // random serving-test bundle (hdrec export --random).
        .target(name: "Workbench", dependencies: ["Training", "TrainingOps", "HDRecInference", "Llama", "RecSys", "ModelFiles", "Kernels", "Support"],
                swiftSettings: numericSettings),

        // MARK: - Serving
        .target(name: "HTTP", dependencies: ["JSON"]),
        .target(name: "CLinux"),
        .target(name: "HTTPServer", dependencies: ["HTTP", "Support", "COpenSSL", "CZlib", "CLinux"]),
        .target(name: "Service", dependencies: [
            "CLinux",
            "HTTP", "HTTPServer", "JSON", "Kernels", "HDRecInference", "Support",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: - Programs
        .executableTarget(name: "hdrec", dependencies: [
            "Support", "JSON", "Kernels", "Quant", "ModelFiles", "Tokenizer", "Llama", "RecSys",
            "HDRecInference", "TrainingOps", "Training", "Workbench", "Distributed",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "hdrec-server", dependencies: [
            "Service", "HTTPServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: - Tests
        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "DistributedTests", dependencies: ["Distributed"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels"]),
        .testTarget(name: "QuantTests", dependencies: ["Quant", "Kernels", "CQuantKernels"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelFilesTests", dependencies: ["ModelFiles", "Quant"], exclude: ["Fixtures"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer", "ModelFiles"], exclude: ["Fixtures"]),
        .testTarget(name: "LlamaTests", dependencies: ["Llama", "ModelFiles", "Tokenizer", "Quant", "Kernels"], exclude: ["Fixtures"]),
        // The finite-difference gradient check both training test targets share.
        .target(name: "GradCheck", dependencies: ["TrainingOps"], path: "Tests/GradCheck"),
        .testTarget(name: "TrainingOpsTests", dependencies: ["TrainingOps", "GradCheck", "Kernels", "Support"]),
        .testTarget(name: "RecSysTests", dependencies: ["RecSys", "TrainingOps", "Distributed", "ModelFiles", "Support"]),
        .testTarget(name: "HDRecInferenceTests", dependencies: ["HDRecInference", "Llama", "RecSys", "TrainingOps", "JSON", "Workbench"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TrainingOps", "GradCheck", "HDRecInference", "Llama", "RecSys", "Kernels", "ModelFiles", "Workbench"], exclude: ["Fixtures"]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "JSON"]),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTP"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "HTTP", "HTTPServer", "JSON", "HDRecInference", "Llama", "ModelFiles", "Workbench"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Support", "Llama", "ModelFiles", "Tokenizer"]),
    ]
)
