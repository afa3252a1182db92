/// RelayGuard's version, printed by `relayguard --version` and in the startup log line.
public enum RelayGuardVersion {
    public static let string = "0.1.0"
}
