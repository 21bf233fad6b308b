/// When to order, renew and retry: plain arithmetic, decided apart from any I/O.
public struct IssuancePolicy: Sendable, Equatable {
    /// Renew once this fraction of the lifetime is left (1/3: at two thirds of the lifetime,
    /// Let's Encrypt's own advice, leaving a month of retries on a 90-day certificate).
    public var renewBefore: Double = 1.0 / 3.0
    /// The first retry after a failure; each further failure doubles it, up to `maxBackoff`.
    public var initialBackoff: Double = 60
    public var maxBackoff: Double = 86_400

    public init(renewBefore: Double = 1.0 / 3.0, initialBackoff: Double = 60, maxBackoff: Double = 86_400) {
        self.renewBefore = renewBefore
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    public enum Decision: Equatable, Sendable {
        case order
        /// Nothing to do before this time (Unix seconds).
        case waitUntil(Double)
    }

    public func renewalTime(notBefore: Double, notAfter: Double) -> Double {
        notAfter - (notAfter - notBefore) * renewBefore
    }

    /// What to do for an eligible name, given its row (nil: never ordered).
    public func decide(_ record: CertificateRecord?, now: Double) -> Decision {
        guard let record else { return .order }
        if let next = record.nextAttemptAt, next > now { return .waitUntil(next) }
        if record.chainPEM != nil, let notBefore = record.notBefore, let notAfter = record.notAfter {
            let renewal = renewalTime(notBefore: notBefore, notAfter: notAfter)
            if renewal > now { return .waitUntil(renewal) }
        }
        return .order
    }

    /// The next attempt after failure number `failures` (1 for the first): exponential and
    /// capped, never sooner than the CA's `Retry-After`.
    public func nextAttempt(after failures: Int, now: Double, retryAfter: Double?) -> Double {
        let exponent = Double(max(0, min(failures - 1, 30)))
        var delay = min(maxBackoff, initialBackoff * pow2(exponent))
        if let retryAfter { delay = max(delay, retryAfter) }
        return now + delay
    }

    private func pow2(_ exponent: Double) -> Double {
        var value = 1.0
        for _ in 0..<Int(exponent) { value *= 2 }
        return value
    }
}
