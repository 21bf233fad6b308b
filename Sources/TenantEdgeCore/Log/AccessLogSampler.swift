/// Decides which requests get an access log line when `access_log.sample` is below 1.
///
/// Per worker, no shared state: xorshift64* costs a few instructions and, unlike "every
/// n-th request", does not alias with periodic traffic (a health check every n requests
/// would otherwise always or never be logged).
public struct AccessLogSampler: Sendable {
    private var state: UInt64
    private let threshold: UInt64
    private let mode: Mode

    private enum Mode { case all, none, sample }

    /// `rate` in 0...1; `seed` differs per worker (any value; 0 is replaced).
    public init(rate: Double, seed: UInt64) {
        state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
        if !(rate > 0) {
            mode = .none
            threshold = 0
        } else if rate >= 1 || rate * 0x1p64 >= 0x1p64 {
            mode = .all
            threshold = .max
        } else {
            mode = .sample
            threshold = UInt64(rate * 0x1p64)
        }
    }

    @inline(__always)
    public mutating func shouldLog() -> Bool {
        switch mode {
        case .all: return true
        case .none: return false
        case .sample:
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D < threshold
        }
    }
}
