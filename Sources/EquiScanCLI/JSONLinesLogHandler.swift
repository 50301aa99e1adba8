import Foundation
import Logging
import Reports

/// A swift-log handler that writes each message as one JSON object on standard output:
/// `{"time", "level", "label", "message", …metadata}`, keys sorted, for log collectors.
struct JSONLinesLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = value.description
        }
        object["time"] = UTCTimestamp.string(Date(), milliseconds: true)
        object["level"] = event.level.rawValue
        object["label"] = label
        object["message"] = event.message.description
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A [String: String] always encodes.
        guard let data = try? encoder.encode(object) else { return }
        print(String(decoding: data, as: UTF8.self))
        StandardStreams.flushOutput()
    }
}
