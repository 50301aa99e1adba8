import Foundation

/// ISO 8601 timestamps in UTC ("2026-12-02T09:41:07Z", or with milliseconds
/// "2026-12-02T09:41:07.250Z"), the form of every time EquiScan writes: run.json, case
/// records, quarantine sidecars and JSON log lines.
///
/// Built from `gmtime_r` and plain digits rather than Foundation's `ISO8601DateFormatter`:
/// on Linux that class creates a CoreFoundation formatter lazily and is known to corrupt the
/// heap there (swift-corelibs-foundation issue 5533, an invalid free in that creation; issue
/// 4566, garbled output under concurrent use), and a watcher stamps quarantine sidecars on
/// one thread while its workers run cases on others. `gmtime_r` is reentrant and allocates
/// nothing.
public enum UTCTimestamp {
    /// `date` as "YYYY-MM-DDThh:mm:ssZ", or "YYYY-MM-DDThh:mm:ss.sssZ" with `milliseconds`
    /// (truncated, so a time is never rounded into the next second). Years before 1 or after
    /// 9999 have no four-digit form and are clamped to 0001-01-01T00:00:00Z and
    /// 9999-12-31T23:59:59Z.
    public static func string(_ date: Date, milliseconds: Bool = false) -> String {
        let lowest = -62_135_596_800.0  // 0001-01-01T00:00:00Z
        let highest = 253_402_300_799.9995  // 9999-12-31T23:59:59.999Z (.999 alone rounds below)
        let seconds = min(max(date.timeIntervalSince1970, lowest), highest)
        let whole = seconds.rounded(.down)
        var time = time_t(whole)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else {
            preconditionFailure("gmtime_r failed for \(whole) s, inside its range")
        }
        var text = digits(Int(parts.tm_year) + 1900, 4) + "-" + digits(Int(parts.tm_mon) + 1, 2)
            + "-" + digits(Int(parts.tm_mday), 2) + "T" + digits(Int(parts.tm_hour), 2) + ":"
            + digits(Int(parts.tm_min), 2) + ":" + digits(Int(parts.tm_sec), 2)
        if milliseconds {
            text += "." + digits(min(999, Int((seconds - whole) * 1000)), 3)
        }
        return text + "Z"
    }

    /// `value` (≥ 0) in decimal, zero-padded on the left to `width` digits.
    private static func digits(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, width - text.count)) + text
    }
}
