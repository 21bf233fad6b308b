import Glibc
import TenantEdgeCore

/// One worker's access log: lines are appended to a private buffer and written with one
/// `write(2)` when it passes 32 KiB or 200 ms after the last write, so logging costs a
/// system call per many requests instead of one per request, and workers never contend.
///
/// Owned by its worker (not Sendable); the worker calls `flushIfDue(nowMs:)` from its loop
/// and `flush()` before exiting. A write that fails (disk full, a closed pipe) drops the
/// buffered lines and counts them in `accessLogLinesDropped` rather than stalling requests
/// or growing without bound. Writing to a pipe whose reader stalls blocks the worker, as it
/// would for nginx; use a file for high volume.
public struct AccessLogWriter {
    public static let flushThreshold = 32 * 1024
    public static let flushIntervalMs: Int64 = 200

    private let file: AccessLogFile
    private let counters: WorkerCounters?
    private var sampler: AccessLogSampler
    private var buffer: [UInt8]
    private var pendingLines: UInt64 = 0
    private var lastFlushMs: Int64

    /// `sampleRate` from `access_log.sample`; `worker` seeds the sampler so workers differ.
    public init(file: AccessLogFile, sampleRate: Double, worker: Int, counters: WorkerCounters?, nowMs: Int64) {
        self.file = file
        self.counters = counters
        sampler = AccessLogSampler(rate: sampleRate, seed: 0x9E37_79B9_7F4A_7C15 &* UInt64(worker + 1))
        // Room for a full batch plus a long line, so appending never reallocates.
        buffer = []
        buffer.reserveCapacity(Self.flushThreshold + 16 * 1024)
        lastFlushMs = nowMs
    }

    /// Whether this request is logged; ask before building the line so sampled-out
    /// requests cost nothing more.
    @inline(__always)
    public mutating func shouldLog() -> Bool { sampler.shouldLog() }

    /// Appends one line, writing the batch if it passed the threshold.
    public mutating func append(_ line: AccessLogLine) {
        line.append(to: &buffer)
        pendingLines &+= 1
        if buffer.count >= Self.flushThreshold { flush() }
    }

    /// Writes the batch if lines have waited `flushIntervalMs`. Cheap when there is nothing.
    @inline(__always)
    public mutating func flushIfDue(nowMs: Int64) {
        guard !buffer.isEmpty, nowMs - lastFlushMs >= Self.flushIntervalMs else { return }
        lastFlushMs = nowMs
        flush()
    }

    /// Writes everything buffered.
    public mutating func flush() {
        guard !buffer.isEmpty else { return }
        let fd = file.descriptor
        let complete = buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
        if !complete { counters?.add(.accessLogLinesDropped, pendingLines) }
        buffer.removeAll(keepingCapacity: true)
        pendingLines = 0
    }
}
