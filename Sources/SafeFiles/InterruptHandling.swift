#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// SIGINT and SIGTERM handling: the temporary files in flight are removed, then the caller's
/// handler ends the process. Files already renamed into place stay.
///
/// A long-running command that can stop cleanly (`equiscan watch`: finish the cases in
/// flight, then exit) sets a graceful stop: the first signal calls it instead, and only a
/// second signal (the user insists) removes the temporary files and ends the process.
///
/// The signals are ignored at the process level and delivered to dispatch sources on a private
/// queue, so the cleanup runs as ordinary code on its own thread (a plain signal handler may
/// only call async-signal-safe functions and could not take the registry's lock).
public enum InterruptHandling {
    private static let sources = Mutex([any DispatchSourceSignal]())
    private static let gracefulStop = Mutex<(@Sendable (Int32) -> Void)?>(nil)

    /// Makes the next SIGINT or SIGTERM call `handler` (on the signal queue) instead of
    /// removing the temporary files and ending the process; the signal after that does both
    /// as usual. Nil restores the default at once.
    public static func setGracefulStop(_ handler: (@Sendable (Int32) -> Void)?) {
        gracefulStop.withLock { $0 = handler }
    }

    /// Installs the handlers once; later calls do nothing. `onInterrupt` gets the signal
    /// number after the cleanup and must end the process.
    public static func install(onInterrupt: @escaping @Sendable (Int32) -> Never) {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            let queue = DispatchQueue(label: "equiscan.interrupt")
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
                source.setEventHandler {
                    // Taken, not read: a second signal finds none and ends the process.
                    if let graceful = gracefulStop.withLock({ $0.take() }) {
                        graceful(signalNumber)
                        return
                    }
                    TemporaryFiles.shared.removeAllAndClose()
                    onInterrupt(signalNumber)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
