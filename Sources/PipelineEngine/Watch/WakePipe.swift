#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A self-pipe: `wake()` from any thread makes the read end readable, so a thread blocked in
/// `poll(2)` on it (with other descriptors) returns at once.
final class WakePipe: Sendable {
    let readEnd: Int32
    private let writeEnd: Int32

    init() throws {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw WatchError(.io, "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        readEnd = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Makes the read end readable; a full pipe is already readable, so a failed write is fine.
    func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe after a wake-up.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readEnd, &buffer, buffer.count) > 0 {}
    }

    /// Waits up to `timeout` seconds for `descriptor` (when given) or a wake-up; returns
    /// whether `descriptor` is readable.
    func poll(_ descriptor: Int32?, timeout: Double) -> Bool {
        var fds = [pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)]
        if let descriptor { fds.append(pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)) }
        let milliseconds = Int32(min(max(0, (timeout * 1000).rounded(.up)), 3_600_000))
        #if canImport(Glibc)
        let ready = Glibc.poll(&fds, nfds_t(fds.count), milliseconds)
        #else
        let ready = Darwin.poll(&fds, nfds_t(fds.count), milliseconds)
        #endif
        if ready > 0, fds[0].revents != 0 { drain() }
        return ready > 0 && fds.count > 1 && fds[1].revents != 0
    }
}

/// An event source that reports nothing: the watcher finds files by rescanning the inbox
/// every `WatchConfiguration.pollInterval`. Used where inotify is missing (macOS, some network
/// file systems) and by `--once`, which takes one look only.
public final class PollingEventSource: FileEventSource {
    public let isPolling = true
    public let fallbackReason: String? = nil
    public let waker: FileEventWaker
    private let pipe: WakePipe

    public init() throws {
        let pipe = try WakePipe()
        self.pipe = pipe
        waker = FileEventWaker { pipe.wake() }
    }

    public func wait(timeout: Double) throws -> [FileEvent] {
        _ = pipe.poll(nil, timeout: timeout)
        return []
    }
}
