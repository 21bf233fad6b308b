import Logging
import Synchronization
import TenantEdgeACME
import TenantEdgeServer

/// The TLS store the workers see = the certificates from files (`base`, replaced on SIGHUP)
/// plus those issued on demand. Each change publishes a new immutable store; the file-loaded
/// SSL_CTXs are shared, not reloaded, so adding one certificate costs one context.
final class IssuedCertificates: Sendable {
    private struct State {
        var base: CertificateStore?
        var issued: [String: TLSCertificate] = [:]
        /// Pending TLS-ALPN-01 challenge certificates (own orders and other instances').
        var challenges: [String: TLSCertificate] = [:]
    }

    private let state: Mutex<State>
    private let publisher: CertificatePublisher
    private let missingCertificate: @Sendable (String) -> Void
    /// The process's ring, so tickets resume on issued certificates as on the files' ones.
    private let ticketKeys: TicketKeyRing?
    private let logger: Logger

    init(base: CertificateStore?, publisher: CertificatePublisher, ticketKeys: TicketKeyRing?, logger: Logger,
         missingCertificate: @escaping @Sendable (String) -> Void) {
        state = Mutex(State(base: base))
        self.publisher = publisher
        self.ticketKeys = ticketKeys
        self.logger = logger
        self.missingCertificate = missingCertificate
        publish()
    }

    /// SIGHUP loaded new files: keep the issued certificates on top of them.
    func replaceBase(_ base: CertificateStore?) {
        state.withLock { $0.base = base }
        publish()
    }

    /// Loads a chain and key from the vault; false (and logged) when OpenSSL rejects them.
    func install(hostname: String, chainPEM: String, keyPEM: String) -> Bool {
        do {
            let certificate = try TLSCertificate(chainPEM: chainPEM, keyPEM: keyPEM, label: "acme:\(hostname)", alpn: .h2AndHTTP11,
                                              ticketKeys: ticketKeys)
            state.withLock { $0.issued[hostname] = certificate }
            publish()
            logger.info("acme: certificate loaded", metadata: ["host": "\(hostname)", "not_after": "\(certificate.notAfter)"])
            return true
        } catch {
            logger.error("acme: certificate does not load", metadata: ["host": "\(hostname)", "error": "\(error)"])
            return false
        }
    }

    /// Serves (nil: withdraws) a TLS-ALPN-01 challenge certificate; built here, on the ACME
    /// thread, so a handshake only switches to a ready context.
    func setChallenge(hostname: String, _ challenge: TLSALPNChallenge?) {
        var certificate: TLSCertificate?
        if let challenge {
            do {
                certificate = try TLSCertificate(chainPEM: challenge.certificatePEM, keyPEM: challenge.privateKeyPEM,
                                                 label: "acme-tls/1:\(hostname)", alpn: .acmeTLS1)
            } catch {
                logger.error("acme: tls-alpn-01 certificate does not load", metadata: ["host": "\(hostname)", "error": "\(error)"])
                return
            }
        }
        let changed = state.withLock { state -> Bool in
            if certificate == nil && state.challenges[hostname] == nil { return false }
            state.challenges[hostname] = certificate
            return true
        }
        if changed { publish() }
    }

    private func publish() {
        let store = state.withLock { state in
            state.base.map {
                CertificateStore(base: $0, issued: state.issued, challenges: state.challenges, missingCertificate: missingCertificate)
            }
        }
        publisher.publish(store)
    }
}
