// swift-tools-version:6.1
import PackageDescription

// The measurement behind "Why our own SQLite wrapper" (README): the ingest hot path's statements through the
// product's FarmIQSQLite and through GRDB 7.10, same SQL, same data, same pragmas. A separate package, so the
// product and its CI never build GRDB. Run: swift run -c release sqlite-wrappers [messages]
let package = Package(
    name: "sqlite-wrappers",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "farmiq-edge", path: "../.."),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
    ],
    targets: [
        .executableTarget(
            name: "sqlite-wrappers",
            dependencies: [
                .product(name: "FarmIQSQLite", package: "farmiq-edge"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
