import Foundation
import Logging
import TenantEdgeCore

/// A swift-log handler that writes one JSON object per line to stderr (`log.format: json`):
/// `{"time","level","label","message", ...metadata}`, so log shippers (Vector, Fluent Bit,
/// Loki, CloudWatch) index fields without parsing text.
///
/// Metadata is flattened into the top level (`{"error": ..., "generation": ...}`; nested
/// dictionaries as `parent.child`, lists as JSON arrays of strings) because dashboards filter
/// on top-level keys; a key that collides with a fixed one is prefixed with `metadata.`.
/// Thread-safe without a lock: each line is built privately and written with a single
/// `write(2)`, which the kernel does not interleave with other writes of the same file.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let fd: Int32

    public init(label: String, level: Logger.Level = .info, fd: Int32 = STDERR_FILENO,
                metadataProvider: Logger.MetadataProvider? = nil) {
        self.label = label
        self.logLevel = level
        self.fd = fd
        self.metadataProvider = metadataProvider
    }

    /// For `LoggingSystem.bootstrap`: every logger gets a JSON handler at `level`.
    public static func factory(level: Logger.Level) -> @Sendable (String) -> any LogHandler {
        { label in JSONLogHandler(label: label, level: level) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        let line = Self.line(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged)
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return  // nowhere left to report a failing log
                }
            }
        }
    }

    /// The bytes of one line, newline included; separate from `log` for tests.
    static func line(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONOutput.appendRaw("{\"time\":\"", to: &out)
        RFC3339Time.append(unixMilliseconds: Int64((time.timeIntervalSince1970 * 1000).rounded(.down)), to: &out)
        JSONOutput.appendRaw("\",\"level\":", to: &out)
        JSONOutput.appendString(level.rawValue, to: &out)
        JSONOutput.appendRaw(",\"label\":", to: &out)
        JSONOutput.appendString(label, to: &out)
        JSONOutput.appendRaw(",\"message\":", to: &out)
        JSONOutput.appendString(message, to: &out)
        var flattened: [(String, Logger.Metadata.Value)] = []
        flatten(metadata, prefix: "", into: &flattened)
        for (key, value) in flattened.sorted(by: { $0.0 < $1.0 }) {
            out.append(UInt8(ascii: ","))
            let reserved = key == "time" || key == "level" || key == "label" || key == "message"
            JSONOutput.appendString(reserved ? "metadata." + key : key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendValue(value, to: &out)
        }
        JSONOutput.appendRaw("}\n", to: &out)
        return out
    }

    private static func flatten(_ metadata: Logger.Metadata, prefix: String, into out: inout [(String, Logger.Metadata.Value)]) {
        for (key, value) in metadata {
            let name = prefix.isEmpty ? key : prefix + "." + key
            if case .dictionary(let nested) = value, !nested.isEmpty {
                flatten(nested, prefix: name, into: &out)
            } else {
                out.append((name, value))
            }
        }
    }

    private static func appendValue(_ value: Logger.Metadata.Value, to out: inout [UInt8]) {
        switch value {
        case .string(let text):
            JSONOutput.appendString(text, to: &out)
        case .stringConvertible(let convertible):
            JSONOutput.appendString(convertible.description, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                appendValue(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let nested):
            // Only an empty dictionary reaches here; non-empty ones were flattened.
            out.append(UInt8(ascii: "{"))
            for (index, (key, item)) in nested.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                JSONOutput.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                appendValue(item, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
