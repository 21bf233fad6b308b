import Testing
@testable import TenantEdgeACME

struct IssuancePolicyTests {
    let policy = IssuancePolicy(renewBefore: 1.0 / 3.0, initialBackoff: 60, maxBackoff: 3600)

    @Test func aNameNeverOrderedIsOrdered() {
        #expect(policy.decide(nil, now: 1000) == .order)
    }

    @Test func aValidCertificateRenewsAtTwoThirdsOfItsLifetime() {
        let record = CertificateRecord(hostname: "a.example", state: .valid, chainPEM: "x", notBefore: 0, notAfter: 90)
        #expect(policy.decide(record, now: 10) == .waitUntil(60))
        #expect(policy.decide(record, now: 60) == .order)
    }

    @Test func failuresBackOffExponentiallyUpToTheCap() {
        #expect(policy.nextAttempt(after: 1, now: 0, retryAfter: nil) == 60)
        #expect(policy.nextAttempt(after: 2, now: 0, retryAfter: nil) == 120)
        #expect(policy.nextAttempt(after: 4, now: 0, retryAfter: nil) == 480)
        #expect(policy.nextAttempt(after: 40, now: 0, retryAfter: nil) == 3600)
    }

    @Test func retryAfterWinsWhenLonger() {
        #expect(policy.nextAttempt(after: 1, now: 0, retryAfter: 7200) == 7200)
        #expect(policy.nextAttempt(after: 1, now: 0, retryAfter: 5) == 60)
    }

    @Test func aFailingNameWaitsForItsNextAttempt() {
        let record = CertificateRecord(hostname: "a.example", state: .failing, failureReason: "dns", failures: 1, nextAttemptAt: 500)
        #expect(policy.decide(record, now: 100) == .waitUntil(500))
        #expect(policy.decide(record, now: 500) == .order)
    }

    @Test func retryAfterParsesSecondsAndDates() {
        #expect(RetryAfter.seconds("120") == 120)
        #expect(RetryAfter.seconds(nil) == nil)
        #expect(RetryAfter.seconds("soon") == nil)
        let now = try! #require(RetryAfter.seconds("Thu, 01 Jan 1970 00:01:40 GMT", now: .init(timeIntervalSince1970: 40)))
        #expect(now == 60)
    }
}
