/// The product version (`farmiq-edge --version`, the image tag of `scripts/image` and of the overlays' `newTag`).
public enum EdgeVersion {
    /// This build's version, `MAJOR.MINOR.PATCH`.
    public static let current = "0.1.0"
}
