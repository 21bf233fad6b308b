/// The request-duration histogram's fixed buckets, 1 ms to 10 s.
///
/// Fixed, so every worker's histogram is a plain array of counters that the scrape adds up
/// (no per-worker bucket negotiation, no locks), and roughly 1-2.5-5 per decade so both a
/// healthy 2 ms proxy hop and a 5 s slow backend land in a bucket that tells them apart.
public enum LatencyBuckets {
    /// Upper bounds in microseconds; observations above the last go to `+Inf`.
    public static let upperBoundsMicroseconds: [Int64] = [
        1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000,
    ]

    /// Buckets including `+Inf`.
    public static let count = 14

    /// Upper bounds in seconds, Prometheus's base unit.
    public static var upperBoundsSeconds: [Double] {
        upperBoundsMicroseconds.map { Double($0) / 1_000_000 }
    }

    /// The bucket of an observation: the first whose bound is >= it (Prometheus's `le`).
    @inline(__always)
    public static func index(microseconds: Int64) -> Int {
        // Unrolled comparisons: cheaper than a loop over the array on the request path.
        if microseconds <= 10_000 {
            if microseconds <= 1_000 { return 0 }
            if microseconds <= 2_500 { return 1 }
            return microseconds <= 5_000 ? 2 : 3
        }
        if microseconds <= 500_000 {
            if microseconds <= 25_000 { return 4 }
            if microseconds <= 50_000 { return 5 }
            if microseconds <= 100_000 { return 6 }
            return microseconds <= 250_000 ? 7 : 8
        }
        if microseconds <= 1_000_000 { return 9 }
        if microseconds <= 2_500_000 { return 10 }
        if microseconds <= 5_000_000 { return 11 }
        return microseconds <= 10_000_000 ? 12 : 13
    }
}
