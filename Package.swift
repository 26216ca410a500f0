// swift-tools-version: 6.0
import PackageDescription

// Layers, imports pointing down only:
//   C wrappers (CALSA, COpenBLAS, CSndFile, CSoxr) · CProscoreKernels (our packed GEMM kernel)
//   → ProscoreTensor (tensors, BLAS, kernels)
//   → ProscoreCheckpoint (safetensors, Hugging Face configs)
//   → ProscoreModels (Wav2Vec2 family, BERT) · ProscoreAudio (audio in) · ProscoreScoring (fluency, training maths)
//   → ProscoreFeatures (feature data sets) · ProscorePipeline (source → … → estimates) · ProscoreStore (sessions)
//   → proscore (the command)
let package = Package(
    name: "proscore",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "proscore", targets: ["proscore"]),
        .library(name: "ProscoreModels", targets: ["ProscoreModels"]),
        .library(name: "ProscoreAudio", targets: ["ProscoreAudio"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // MARK: C libraries, wrapped once
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CSndFile", pkgConfig: "sndfile",
                       providers: [.apt(["libsndfile1-dev"])]),
        .systemLibrary(name: "CALSA", pkgConfig: "alsa",
                       providers: [.apt(["libasound2-dev"])]),
        .systemLibrary(name: "CSoxr", pkgConfig: "soxr",
                       providers: [.apt(["libsoxr-dev"])]),

        // MARK: Our one C kernel (AVX-512 intrinsics; Swift has no per-function target features)
        .target(name: "CProscoreKernels", cSettings: [.unsafeFlags(["-O2"])]),

        // MARK: Libraries
        .target(name: "ProscoreTensor", dependencies: ["COpenBLAS", "CProscoreKernels"],
                swiftSettings: optimised),
        .target(name: "ProscoreCheckpoint", dependencies: ["ProscoreTensor"],
                swiftSettings: optimised),
        .target(name: "ProscoreModels", dependencies: ["ProscoreTensor", "ProscoreCheckpoint"],
                swiftSettings: optimised),
        .target(name: "ProscoreScoring", swiftSettings: optimised),
        .target(name: "ProscoreFeatures",
                dependencies: ["ProscoreModels", "ProscoreAudio", "ProscoreCheckpoint", "ProscoreScoring"]),
        .target(name: "ProscoreAudio", dependencies: ["CSndFile", "CALSA", "CSoxr"],
                swiftSettings: optimised),

        // MARK: The pipeline
        .target(name: "ProscorePipeline",
                dependencies: ["ProscoreAudio", "ProscoreModels", "ProscoreScoring", "ProscoreTensor"]),

        .target(name: "ProscoreStore", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        .target(name: "ProscoreReport", dependencies: ["ProscoreStore"], swiftSettings: optimised),

        // MARK: The command
        .executableTarget(name: "proscore", dependencies: [
            "ProscoreModels", "ProscoreAudio", "ProscoreCheckpoint", "ProscoreTensor", "ProscoreFeatures", "ProscoreScoring", "ProscorePipeline", "ProscoreStore", "ProscoreReport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests
        .testTarget(name: "ProscoreTensorTests", dependencies: ["ProscoreTensor"]),
        .testTarget(name: "ProscoreCheckpointTests", dependencies: ["ProscoreCheckpoint"]),
        .testTarget(name: "ProscoreAudioTests", dependencies: ["ProscoreAudio"]),
        .testTarget(name: "ProscoreScoringTests", dependencies: ["ProscoreScoring"]),
        .testTarget(name: "ProscoreStoreTests", dependencies: ["ProscoreStore"]),
        .testTarget(name: "ProscoreFeaturesTests",
                    dependencies: ["ProscoreFeatures", "ProscoreModels", "ProscoreAudio", "ProscoreCheckpoint", "ProscoreScoring"]),
        .testTarget(name: "ProscoreCLITests",
                    dependencies: ["proscore", "ProscoreModels", "ProscoreAudio", "ProscoreCheckpoint", "ProscoreStore"]),
        .testTarget(name: "ProscoreModelsTests",
                    dependencies: ["ProscoreModels", "ProscoreCheckpoint", "ProscoreAudio"],
                    resources: [.copy("Fixtures")]),
    ]
)

/// Numeric kernels are written as plain loops over unsafe buffers and SIMD types; let the
/// optimiser drop the bounds checks it cannot prove away there. Optimised in debug builds
/// too: unoptimised SIMD code is two orders of magnitude slower, which would make the test
/// suite (real checkpoints, long transcripts) crawl.
var optimised: [SwiftSetting] { [.unsafeFlags(["-Ounchecked"])] }
