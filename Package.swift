// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "farmiq-edge",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "farmiq-edge", targets: ["farmiq-edge"]),
        // For Benchmarks/SQLiteWrappers (the wrapper against GRDB); not used by the product.
        .library(name: "FarmIQSQLite", targets: ["FarmIQSQLite"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Already built for PostgresNIO (SCRAM); used directly for SHA-256.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.9.0"..<"5.0.0"),
        // gzip of sync bodies (the forwarder's batches, cloud-sim's bounded inflate).
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        // multipart/form-data bodies built by the weigh-station simulator and the media benchmark (the media store
        // reads uploads with its own MultipartScanner: measured, see README).
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        // Already built for Hummingbird; named for HTTPField.Name.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
    ],
    targets: [
        // Domain types: ids, envelope, validation, errors, configuration, logging. No networking.
        .target(
            name: "FarmIQCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                // SHA-256 of device tokens; PBKDF2-SHA512 of the broker password file.
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                // gzip of sync bodies (Codec/Gzip.swift).
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The system SQLite library (libsqlite3-dev).
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // libjpeg-turbo's TurboJPEG API (libturbojpeg0-dev): JPEG header parse (and decode, for inference).
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        // The one SQLite access layer (connection, prepared-statement cache, statements) of the edge's stores and cloud-sim.
        .target(
            name: "FarmIQSQLite",
            dependencies: ["FarmIQCore", "CSQLite"],
            swiftSettings: swiftSettings
        ),
        // EdgeError as HTTP answers: what every service's routes share.
        .target(
            name: "FarmIQHTTP",
            dependencies: [
                "FarmIQCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // farmiq-edge cloud-sim: the reference cloud-ingestion, a test peer (not the cloud).
        .target(
            name: "CloudSim",
            dependencies: [
                "FarmIQCore", "FarmIQSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Migrations and stores on SQLite and PostgreSQL.
        .target(
            name: "FarmIQStorage",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), 
                "FarmIQCore",
                "FarmIQSQLite",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Our own MQTT 5 / 3.1.1 client with deferred acknowledgement.
        .target(
            name: "FarmIQMQTT",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // edge-telemetry-timeseries: readings, roll-ups, queries.
        .target(
            name: "TelemetryTimeseries",
            dependencies: [
                "FarmIQCore",
                "FarmIQHTTP",
                "FarmIQStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // edge-weighvision-session: weigh sessions (contracts §3a): finalization pass and API.
        .target(
            name: "WeighVisionSession",
            dependencies: [
                "FarmIQCore",
                "FarmIQHTTP",
                "FarmIQStorage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // edge-media-store (contracts §3): streaming image upload, the media volume, its sweep.
        .target(
            name: "MediaStore",
            dependencies: [
                "FarmIQCore",
                "FarmIQHTTP",
                "FarmIQStorage",
                "CTurboJPEG",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Reading an image's bytes: from the media volume, or from edge-media-store over HTTP (cluster mode).
        .target(
            name: "MediaAccess",
            dependencies: [
                "FarmIQCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // edge-vision-inference: the image pipeline (decode, threshold, components, features) and the weight model.
        .target(
            name: "VisionInference",
            dependencies: [
                "FarmIQCore", "FarmIQStorage", "CTurboJPEG", "MediaAccess",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // edge-ingress-gateway: MQTT → validated batches → owners, ack after commit.
        .target(
            name: "IngressGateway",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), 
                "FarmIQCore",
                "FarmIQStorage",
                "FarmIQMQTT",
                "TelemetryTimeseries",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // edge-sync-forwarder: the outbox to the cloud (contracts.md §4), the sole path to the cloud.
        .target(
            name: "SyncForwarder",
            dependencies: [
                "FarmIQCore", "FarmIQStorage", "MediaAccess",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Wiring: build functions for each mode, HTTP app, ops endpoints, simulators.
        .target(
            name: "FarmIQApp",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), 
                "FarmIQCore",
                "FarmIQStorage",
                "FarmIQMQTT",
                "IngressGateway",
                "TelemetryTimeseries",
                "WeighVisionSession",
                "MediaStore",
                "VisionInference",
                "MediaAccess",
                "SyncForwarder",
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // `farmiq-edge bench …`: end-to-end benchmarks that print figures (ingest, outbox, drain, media, inference).
        // Not part of any product target; the product's protocols know nothing of them.
        .target(
            name: "FarmIQBenchmarks",
            dependencies: [
                "FarmIQApp", "FarmIQCore", "FarmIQSQLite", "FarmIQStorage", "FarmIQMQTT", "CloudSim", "SyncForwarder",
                "WeighVisionSession", "VisionInference", "CTurboJPEG",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "farmiq-edge",
            dependencies: [
                "FarmIQApp",
                "FarmIQBenchmarks",
                "CloudSim",
                "FarmIQCore",
                "FarmIQStorage",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // What several test targets share: captured logs, eventually, child processes, JPEG fixtures.
        .target(
            name: "FarmIQTestSupport",
            dependencies: ["FarmIQCore", "FarmIQStorage", "MediaStore", .product(name: "Logging", package: "swift-log")],
            path: "Tests/FarmIQTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CloudSimTests",
            dependencies: [
                "CloudSim", "FarmIQCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SyncForwarderTests",
            dependencies: [.product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"), 
                "SyncForwarder", "FarmIQStorage", "FarmIQCore", "FarmIQTestSupport", "CloudSim",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "FarmIQCoreTests", dependencies: [.product(name: "Logging", package: "swift-log"), "FarmIQCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VisionInferenceTests",
            dependencies: ["VisionInference", "MediaStore", "FarmIQStorage", "FarmIQCore", .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MediaStoreTests",
            dependencies: ["MediaStore", "FarmIQCore", "FarmIQTestSupport", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FarmIQMQTTTests",
            dependencies: [.product(name: "NIOCore", package: "swift-nio"), 
                "FarmIQMQTT", "FarmIQCore", "FarmIQTestSupport",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "IngressGatewayTests", dependencies: ["FarmIQStorage", "IngressGateway", "TelemetryTimeseries", "FarmIQCore"], swiftSettings: swiftSettings),
        .testTarget(name: "FarmIQStorageTests", dependencies: [.product(name: "Logging", package: "swift-log"), .product(name: "PostgresNIO", package: "postgres-nio"), "FarmIQStorage", "FarmIQCore", "FarmIQTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "FarmIQIntegrationTests",
            dependencies: [
                "FarmIQApp", "FarmIQBenchmarks", "FarmIQCore", "FarmIQStorage", "FarmIQMQTT", "IngressGateway", "TelemetryTimeseries", "FarmIQTestSupport", "MediaStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
