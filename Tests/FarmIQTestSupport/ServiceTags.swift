import Foundation
import Testing

extension Tag {
    /// The test needs the PostgreSQL server of `FARMIQ_TEST_POSTGRES_URL` (parametrized tests: for their
    /// `.postgres` case).
    @Tag public static var postgres: Self
    /// The test needs the Mosquitto broker of `FARMIQ_TEST_MQTT_URL`.
    @Tag public static var mosquitto: Self
}

/// Whether the services the tagged tests need are there.
///
/// This toolchain's `swift test` cannot skip by tag, so the tagged suites also carry ``servicesRequired``:
/// `FARMIQ_TEST_SERVICES=none swift test --skip FarmIQIntegrationTests` is a unit pass on a machine without
/// PostgreSQL or Mosquitto (the tagged suites are reported as skipped, never as passed).
public enum TestServices {
    /// False when `FARMIQ_TEST_SERVICES=none`.
    public static let available = ProcessInfo.processInfo.environment["FARMIQ_TEST_SERVICES"] != "none"

    /// The trait of a suite that needs PostgreSQL or Mosquitto.
    public static var servicesRequired: ConditionTrait {
        .enabled(if: available, "needs PostgreSQL or Mosquitto (FARMIQ_TEST_SERVICES=none)")
    }
}
