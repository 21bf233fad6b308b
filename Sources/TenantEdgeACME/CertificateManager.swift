import Crypto
import Foundation
import Logging
import Synchronization
import TenantEdgeMaster

/// Issues, renews and distributes certificates for store domains, on its own thread with its
/// own database connection (never on a worker).
///
/// Which names: only those the master DB marks `is_custom_domain` and `ssl_enabled` on an
/// active store, and that the live route map resolves as exact custom hosts (`routable`):
/// never a name from a ClientHello alone, so nobody can spend our CA rate limits by sending SNI.
/// When: at start and on every route map change (new rows), every `scanInterval` (renewals,
/// retries), and when a handshake found no certificate for a name (served the default one
/// meanwhile; the handshake never waits).
/// Who orders: whoever gets the PostgreSQL advisory lock for the name; the others load the
/// result when the row's NOTIFY arrives.
public final class CertificateManager: Sendable {
    public struct Settings: Sendable {
        public var connectionString: String
        public var directoryURL: String
        public var email: String?
        public var caFile: String?
        public var policy: IssuancePolicy
        public var scanInterval: Double
        public var challenge: ACMEClient.ChallengeType
        /// Checked before each order; nil orders without asking DNS (tests, or a platform that
        /// knows better).
        public var dnsCheck: DNSCheck?
        /// TLS-ALPN-01: how long the ordering instance waits after publishing a token before it
        /// lets the CA validate, so the other instances' challenge watchers have built the
        /// certificate (the CA may reach any of them; they take milliseconds).
        public var challengeGrace: Double

        public init(connectionString: String, directoryURL: String, email: String?, caFile: String?,
                    policy: IssuancePolicy, scanInterval: Double, challenge: ACMEClient.ChallengeType = .http01,
                    dnsCheck: DNSCheck? = nil, challengeGrace: Double = 1.5) {
            self.connectionString = connectionString
            self.directoryURL = directoryURL
            self.email = email
            self.caFile = caFile
            self.policy = policy
            self.scanInterval = scanInterval
            self.challenge = challenge
            self.dnsCheck = dnsCheck
            self.challengeGrace = challengeGrace
        }
    }

    /// What the manager does to the rest of the process.
    public struct Hooks: Sendable {
        /// Load a chain and its opened key into the TLS store; false if it would not load.
        public var install: @Sendable (_ hostname: String, _ chainPEM: String, _ keyPEM: String) -> Bool
        /// True when the live route map serves `hostname` as an exact custom-domain host of a store that is open.
        public var routable: @Sendable (_ hostname: String) -> Bool
        /// The account's JWK thumbprint, so every instance can answer HTTP-01 for any token of
        /// this account (the CA may ask any instance behind the load balancer).
        public var accountThumbprint: @Sendable (String) -> Void
        /// Serve (or with nil stop serving) a TLS-ALPN-01 challenge certificate for a name.
        public var installChallenge: @Sendable (_ hostname: String, _ challenge: TLSALPNChallenge?) -> Void

        public init(install: @escaping @Sendable (String, String, String) -> Bool,
                    routable: @escaping @Sendable (String) -> Bool,
                    accountThumbprint: @escaping @Sendable (String) -> Void,
                    installChallenge: @escaping @Sendable (String, TLSALPNChallenge?) -> Void = { _, _ in }) {
            self.install = install
            self.routable = routable
            self.accountThumbprint = accountThumbprint
            self.installChallenge = installChallenge
        }
    }

    private struct Requests {
        var names: Set<String> = []
        var rescan = true
        var stopping = false
    }

    private struct Counters {
        var orders = 0
        var issued = 0
        var failures = 0
        var loaded = 0
    }

    private let settings: Settings
    private let hooks: Hooks
    private let vault: CertificateVault
    private let logger: Logger
    private let requests = Mutex(Requests())
    private let wake = DispatchSemaphore(value: 0)
    private let records = Mutex<[String: CertificateRecord]>([:])
    private let counters = Mutex(Counters())
    /// The shared account's thumbprint, once known: with a token from the database it makes
    /// the key authorization of another instance's TLS-ALPN-01 challenge.
    private let thumbprint = Mutex<String?>(nil)
    /// The TLS-ALPN-01 tokens served now, by hostname: the ordering path and the watcher both
    /// go through `serveChallenge`, so one token is built into a certificate once.
    private let servedChallenges = Mutex<[String: String]>([:])
    private let watcher = Mutex<ChallengeWatcher?>(nil)
    /// Handshake-triggered names waiting for the thread; beyond this they are dropped (the
    /// next scan finds real ones anyway), so a flood of SNI cannot grow memory.
    static let maxQueued = 1024

    public init(settings: Settings, vault: CertificateVault, hooks: Hooks, logger: Logger) {
        self.settings = settings
        self.vault = vault
        self.hooks = hooks
        self.logger = logger
    }

    public func start() {
        if settings.challenge == .tlsALPN01 {
            let watcher = ChallengeWatcher(connectionString: settings.connectionString, logger: logger) { [self] host, token in
                serveChallenge(host, token: token, keyAuthorization: nil) == nil
            }
            self.watcher.withLock { $0 = watcher }
            watcher.start()
        }
        let thread = Thread { [self] in run() }
        thread.name = "tenant-edge-acme"
        thread.start()
    }

    public func stop() {
        watcher.withLock { $0?.stop() }
        requests.withLock { $0.stopping = true }
        wake.signal()
    }

    /// A handshake for `hostname` found no certificate. Cheap and non-blocking: called on a
    /// worker thread mid-handshake. Names the route map does not serve as custom hosts are
    /// dropped here.
    public func certificateMissing(_ hostname: String) {
        guard hooks.routable(hostname) else { return }
        if let record = records.withLock({ $0[hostname] }),
           case .waitUntil = settings.policy.decide(record, now: Date().timeIntervalSince1970) { return }
        let queued = requests.withLock { state -> Bool in
            guard state.names.count < Self.maxQueued, !state.names.contains(hostname) else { return false }
            state.names.insert(hostname)
            return true
        }
        if queued { wake.signal() }
    }

    /// The route map changed: new custom domains may need certificates.
    public func routesChanged() {
        requests.withLock { $0.rescan = true }
        wake.signal()
    }

    // MARK: - Reporting

    /// `{"state":"none"}`, `{"state":"pending"}`, `{"state":"valid","not_after":"..."}` or
    /// `{"state":"failing","reason":"...","next_attempt":"..."}`, for `/routes/<host>`.
    public func stateJSON(_ hostname: String) -> String {
        guard let record = records.withLock({ $0[hostname.lowercased()] }) else { return #"{"state":"none"}"# }
        var fields = [#""state":\#(JWS.jsonString(record.state.rawValue))"#]
        if let notAfter = record.notAfter { fields.append(#""not_after":\#(JWS.jsonString(Self.iso(notAfter)))"#) }
        if let reason = record.failureReason { fields.append(#""reason":\#(JWS.jsonString(reason))"#) }
        if let next = record.nextAttemptAt { fields.append(#""next_attempt":\#(JWS.jsonString(Self.iso(next)))"#) }
        fields.append(#""failures":\#(record.failures)"#)
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// Prometheus text: certificates by state, and this instance's orders and outcomes.
    public func metricsText() -> String {
        let states = records.withLock { records in
            Dictionary(grouping: records.values, by: \.state).mapValues(\.count)
        }
        let counts = counters.withLock { $0 }
        var out = "# HELP tenant_edge_acme_certificates Certificates on demand by state (all instances).\n"
        out += "# TYPE tenant_edge_acme_certificates gauge\n"
        for state in [CertificateRecord.State.pending, .valid, .failing] {
            out += "tenant_edge_acme_certificates{state=\"\(state.rawValue)\"} \(states[state] ?? 0)\n"
        }
        for (name, help, value) in [
            ("orders_total", "ACME orders this instance placed.", counts.orders),
            ("issued_total", "Certificates this instance obtained.", counts.issued),
            ("failures_total", "Orders of this instance that failed.", counts.failures),
            ("loaded_total", "Certificates loaded into the TLS store (own and other instances').", counts.loaded),
        ] {
            out += "# HELP tenant_edge_acme_\(name) \(help)\n# TYPE tenant_edge_acme_\(name) counter\n"
            out += "tenant_edge_acme_\(name) \(value)\n"
        }
        return out
    }

    static func iso(_ seconds: Double) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: seconds))
    }

    // MARK: - The issuance thread

    private func run() {
        var session: Session?
        var nextScan = 0.0
        while true {
            let (names, rescan, stopping) = requests.withLock { state in
                defer { state.names = []; state.rescan = false }
                return (state.names, state.rescan, state.stopping)
            }
            if stopping { return }
            do {
                if session == nil {
                    let opened = try Session(settings: settings, logger: logger)
                    try loadAll(opened)
                    // The account (and its thumbprint for HTTP-01) before any order, since the
                    // CA may ask this instance about another instance's order.
                    do { thumbprint.withLock { $0 = nil }; _ = try opened.client(vault: vault, hooks: noteThumbprint) } catch {
                        logger.error("acme: cannot set up the ACME account", metadata: ["error": "\(error)"])
                    }
                    session = opened
                    nextScan = 0
                }
                guard let session else { continue }
                try applyNotifications(session)
                let now = Date().timeIntervalSince1970
                if rescan || now >= nextScan {
                    for name in try session.eligibleNames() where hooks.routable(name) { try consider(name, session) }
                    nextScan = Date().timeIntervalSince1970 + settings.scanInterval
                }
                for name in names where try session.isEligible(name) { try consider(name, session) }
            } catch {
                logger.error("acme: database error; reconnecting", metadata: ["error": "\(error)"])
                session = nil
                Thread.sleep(forTimeInterval: 2)
            }
            _ = wake.wait(timeout: .now() + 1)
        }
    }

    private func loadAll(_ session: Session) throws(MasterDBError) {
        let all = try session.repository.all()
        for record in all { load(record) }
        logger.info("acme: certificates loaded from the master database", metadata: ["count": "\(all.count)"])
    }

    private func applyNotifications(_ session: Session) throws(MasterDBError) {
        let names = Set(try session.connection.notifications().filter { $0.channel == CertificateRepository.channel }.map(\.payload))
        for name in names {
            if let record = try session.repository.record(name) { load(record) }
        }
    }

    /// The hooks with `accountThumbprint` also noting the thumbprint here.
    private var noteThumbprint: Hooks {
        var hooks = self.hooks
        let forward = hooks.accountThumbprint
        hooks.accountThumbprint = { [self] value in
            thumbprint.withLock { $0 = value }
            forward(value)
        }
        return hooks
    }

    /// Keeps the record for reporting (without its key) and installs a valid chain that is new.
    private func load(_ record: CertificateRecord) {
        var kept = record
        kept.sealedKey = nil
        let previous = records.withLock { records -> CertificateRecord? in
            defer { records[record.hostname] = kept }
            return records[record.hostname]
        }
        guard record.state == .valid || record.chainPEM != nil, let chain = record.chainPEM, let sealed = record.sealedKey,
              previous?.chainPEM != chain else { return }
        do {
            let key = String(decoding: try vault.open(sealed, context: record.hostname), as: UTF8.self)
            if hooks.install(record.hostname, chain, key) {
                counters.withLock { $0.loaded += 1 }
            } else {
                records.withLock { $0[record.hostname]?.chainPEM = nil }
            }
        } catch {
            logger.error("acme: cannot open the stored key (is ENCRYPTION_KEY the one it was sealed with?)",
                         metadata: ["host": "\(record.hostname)", "error": "\(error)"])
        }
    }

    /// Serves the TLS-ALPN-01 certificate for `token` (nil: stops serving one), unless this
    /// token is served already. `keyAuthorization` is known on the ordering path; for another
    /// instance's token it is made from the shared account's thumbprint.
    @discardableResult
    private func serveChallenge(_ hostname: String, token: String?, keyAuthorization: String?) -> ACMEError? {
        guard let token else {
            if servedChallenges.withLock({ $0.removeValue(forKey: hostname) }) != nil { hooks.installChallenge(hostname, nil) }
            return nil
        }
        if servedChallenges.withLock({ $0[hostname] }) == token { return nil }
        guard let authorization = keyAuthorization ?? thumbprint.withLock({ $0 }).map({ token + "." + $0 }) else {
            return ACMEError.local("no account thumbprint yet")
        }
        do {
            hooks.installChallenge(hostname, try TLSALPNChallenge(hostname: hostname, keyAuthorization: authorization))
            servedChallenges.withLock { $0[hostname] = token }
            logger.info("acme: serving a tls-alpn-01 challenge", metadata: ["host": "\(hostname)"])
            return nil
        } catch {
            logger.error("acme: cannot build a tls-alpn-01 certificate", metadata: ["host": "\(hostname)", "error": "\(error)"])
            return error
        }
    }

    /// The answers `ACMEClient.issue` publishes: HTTP-01 needs nothing (every instance answers
    /// any token from the thumbprint); TLS-ALPN-01 serves the certificate here at once and puts
    /// the token in the row, whose NOTIFY makes every other instance serve it as well.
    private func challengeHooks(_ session: Session) -> ACMEClient.ChallengeHooks {
        guard settings.challenge == .tlsALPN01 else { return .init(publish: { _, _, _ in }, remove: { _, _ in }) }
        return .init(
            publish: { [self] hostname, token, keyAuthorization throws(ACMEError) in
                if let error = serveChallenge(hostname, token: token, keyAuthorization: keyAuthorization) { throw error }
                do { try session.repository.setChallengeToken(hostname, token: token) } catch {
                    throw ACMEError.local("cannot publish the tls-alpn-01 token: \(error)")
                }
                Thread.sleep(forTimeInterval: settings.challengeGrace)
            },
            remove: { [self] hostname, _ in
                serveChallenge(hostname, token: nil, keyAuthorization: nil)
                try? session.repository.setChallengeToken(hostname, token: nil)
            })
    }

    /// nil when the name may be ordered; else why not (`acme.dns_check`).
    private func dnsRefusal(_ hostname: String) -> String? {
        guard let check = settings.dnsCheck else { return nil }
        switch AddressResolver.resolve(hostname, nameserver: check.nameserver) {
        case .success(let addresses): return check.refusal(resolved: addresses)
        case .failure(.lookup(let reason)): return "cannot check where it resolves: \(reason)"
        }
    }

    private func consider(_ hostname: String, _ session: Session) throws(MasterDBError) {
        let now = Date().timeIntervalSince1970
        if case .waitUntil = settings.policy.decide(records.withLock({ $0[hostname] }), now: now) { return }
        guard try session.repository.tryLock(hostname) else { return }
        defer { try? session.repository.unlock(hostname) }
        // Another instance may have finished between our read and the lock.
        let fresh = try session.repository.record(hostname)
        if let fresh { load(fresh) }
        guard settings.policy.decide(fresh, now: now) == .order else { return }

        if let refusal = dnsRefusal(hostname) {
            let failures = (fresh?.failures ?? 0) + 1
            let next = settings.policy.nextAttempt(after: failures, now: Date().timeIntervalSince1970, retryAfter: nil)
            try session.repository.storeRefusal(hostname, reason: refusal, nextAttemptAt: next)
            logger.warning("acme: not ordering; backing off", metadata: [
                "host": "\(hostname)", "reason": "\(refusal)", "failures": "\(failures)", "next_attempt": "\(Self.iso(next))"])
            if let record = try session.repository.record(hostname) { load(record) }
            return
        }
        try session.repository.beginOrder(hostname)
        counters.withLock { $0.orders += 1 }
        logger.info("acme: ordering a certificate", metadata: ["host": "\(hostname)", "challenge": "\(settings.challenge.rawValue)"])
        do throws(ACMEError) {
            let client = try session.client(vault: vault, hooks: noteThumbprint)
            let request = CertificateRequest(hostname: hostname)
            let chain = try client.issue(request, challenge: settings.challenge, hooks: challengeHooks(session))
            guard chain.dnsNames.contains(hostname) else {
                throw ACMEError.invalid("the issued certificate does not name \(hostname)")
            }
            let sealed: CertificateVault.Sealed
            do { sealed = try vault.seal(Array(request.privateKeyPEM.utf8), context: hostname) } catch {
                throw ACMEError.local("cannot seal the key: \(error)")
            }
            try? session.repository.storeIssued(hostname, chain: chain, sealedKey: sealed)
            counters.withLock { $0.issued += 1 }
            logger.info("acme: certificate issued", metadata: ["host": "\(hostname)", "not_after": "\(Self.iso(chain.notAfter))"])
        } catch {
            let failures = (fresh?.failures ?? 0) + 1
            let next = settings.policy.nextAttempt(after: failures, now: Date().timeIntervalSince1970, retryAfter: error.retryAfter)
            try session.repository.storeFailure(hostname, reason: error.description, nextAttemptAt: next)
            counters.withLock { $0.failures += 1 }
            logger.warning("acme: order failed; backing off", metadata: [
                "host": "\(hostname)", "error": "\(error)", "failures": "\(failures)", "next_attempt": "\(Self.iso(next))"])
        }
        if let record = try session.repository.record(hostname) { load(record) }
    }
}
