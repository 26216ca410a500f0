// swift-tools-version: 6.0
import PackageDescription

// Layers, imports pointing down only:
//   C wrappers (CALSA, COpenBLAS, CSndFile, CSoxr) · CProscoreKernels (our packed GEMM kernel) · ProscoreUnits (frame geometry)
//   → ProscoreTensor (tensors, BLAS, kernels) · ProscoreAudio (audio in) · ProscoreStore (session store: SQLite or PostgreSQL)
//   → ProscoreCheckpoint (safetensors, Hugging Face configs, fingerprints)
//   → ProscoreModels (Wav2Vec2 family, BERT, CTC) · ProscoreScoring (fluency, heads, training maths)
//   → ProscorePipeline (the session layer: stages, pipeline, recorder, builder, presets)
//   → ProscoreFeatures (feature data sets) · ProscoreReport (HTML reports, pictures)
//   → ProscoreServer (proscore serve: HTTP and WebSocket API, the web page)
//   → proscore (the command: parses options, prints)
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
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
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
        .target(name: "ProscoreUnits"),

        // MARK: Libraries
        .target(name: "ProscoreTensor", dependencies: ["COpenBLAS", "CProscoreKernels"],
                swiftSettings: optimised),
        .target(name: "ProscoreCheckpoint", dependencies: ["ProscoreTensor"],
                swiftSettings: optimised),
        .target(name: "ProscoreModels", dependencies: ["ProscoreTensor", "ProscoreCheckpoint", "ProscoreUnits"],
                swiftSettings: optimised),
        .target(name: "ProscoreScoring", dependencies: ["ProscoreUnits", "ProscoreCheckpoint", "ProscoreTensor"], swiftSettings: optimised),
        .target(name: "ProscoreFeatures",
                dependencies: ["ProscoreModels", "ProscoreAudio", "ProscoreCheckpoint", "ProscoreScoring", "ProscorePipeline", "ProscoreUnits"]),
        .target(name: "ProscoreAudio", dependencies: ["CSndFile", "CALSA", "CSoxr", "ProscoreUnits"],
                swiftSettings: optimised),

        // MARK: The pipeline
        .target(name: "ProscorePipeline",
                dependencies: ["ProscoreAudio", "ProscoreModels", "ProscoreScoring", "ProscoreTensor", "ProscoreCheckpoint",
                               "ProscoreStore", "ProscoreUnits"]),

        .target(name: "ProscoreStore", dependencies: [
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ProscoreReport", dependencies: ["ProscoreStore", "ProscorePipeline", "ProscoreScoring", "ProscoreModels", "ProscoreUnits"],
                swiftSettings: optimised),

        // MARK: The network server (proscore serve)
        .target(name: "ProscoreServer", dependencies: [
            "ProscorePipeline", "ProscoreStore", "ProscoreReport", "ProscoreFeatures", "ProscoreAudio", "ProscoreScoring", "ProscoreTensor", "ProscoreUnits",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], resources: [.copy("Web")]),

        // MARK: Fakes of the pipeline's stages, for tests only
        .target(name: "ProscoreFakes", dependencies: ["ProscorePipeline", "ProscoreAudio", "ProscoreModels", "ProscoreTensor", "ProscoreUnits"]),

        // MARK: The command
        .executableTarget(name: "proscore", dependencies: [
            "ProscoreModels", "ProscoreAudio", "ProscoreCheckpoint", "ProscoreTensor", "ProscoreFeatures", "ProscoreScoring", "ProscorePipeline", "ProscoreStore", "ProscoreReport", "ProscoreUnits",
            "ProscoreServer",
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests
        .testTarget(name: "ProscoreTensorTests", dependencies: ["ProscoreTensor"]),
        .testTarget(name: "ProscoreCheckpointTests", dependencies: ["ProscoreCheckpoint"]),
        .testTarget(name: "ProscoreAudioTests", dependencies: ["ProscoreAudio"], exclude: ["Fixtures"]),
        .testTarget(name: "ProscoreScoringTests", dependencies: ["ProscoreScoring", "ProscoreAudio", "ProscoreUnits", "ProscoreFakes"]),
        .testTarget(name: "ProscoreStoreTests", dependencies: [
            "ProscoreStore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "ProscorePipelineTests",
                    dependencies: ["ProscorePipeline", "ProscoreFakes", "ProscoreModels", "ProscoreAudio", "ProscoreScoring", "ProscoreStore", "ProscoreTensor", "ProscoreUnits"]),
        .testTarget(name: "ProscoreReportTests",
                    dependencies: ["ProscoreReport", "ProscorePipeline", "ProscoreStore", "ProscoreModels", "ProscoreScoring", "ProscoreFakes"]),
        .testTarget(name: "ProscoreFeaturesTests",
                    dependencies: ["ProscoreFeatures", "ProscoreModels", "ProscoreAudio", "ProscoreCheckpoint", "ProscoreScoring",
                                   "ProscorePipeline", "ProscoreFakes"]),
        .testTarget(name: "ProscoreCLITests",
                    dependencies: ["proscore", "ProscoreModels", "ProscoreAudio", "ProscoreCheckpoint", "ProscoreStore", "ProscorePipeline", "ProscoreFakes"]),
        .testTarget(name: "ProscoreServerTests",
                    dependencies: ["ProscoreServer", "ProscorePipeline", "ProscoreAudio", "ProscoreStore",
                                   .product(name: "HummingbirdTesting", package: "hummingbird"),
                                   .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
                                   .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                                   .product(name: "NIOCore", package: "swift-nio")]),
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
