import Dispatch
import Foundation

/// The time a watcher runs on: a monotonic scale for its timers (settling, retry delays,
/// rescans) and the calendar for the times it writes. Injectable, so that tests advance time
/// instead of sleeping.
public protocol WatchClock: Sendable {
    /// Seconds on a monotonic scale with an arbitrary origin; never goes back.
    func uptime() -> Double
    /// The calendar time now.
    func date() -> Date
}

/// The machine's clocks: uptime from the monotonic clock (immune to clock changes), the date
/// from the system time.
public struct SystemClock: WatchClock {
    public init() {}

    public func uptime() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    public func date() -> Date {
        Date()
    }
}
