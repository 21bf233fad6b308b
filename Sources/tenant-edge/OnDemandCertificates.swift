import Logging
import TenantEdgeACME
import TenantEdgeConfig
import TenantEdgeCore
import TenantEdgeServer

/// Wires `acme:` to the server: the issuer thread, the store it adds certificates to, the
/// HTTP-01 answers, and the handshake hook. Nil when ACME is off.
struct OnDemandCertificates {
    let manager: CertificateManager
    let certificates: IssuedCertificates

    static func make(_ config: EdgeConfig, server: EdgeServer, base: CertificateStore?, ticketKeys: TicketKeyRing?,
                     logger: Logger) throws -> OnDemandCertificates? {
        guard let acme = config.acme, acme.enabled else { return nil }
        guard base != nil else {
            throw SettingsBuilder.BuildError(description: "acme: needs an https listener to serve the certificates it obtains")
        }
        let vault = try CertificateVault(base64: acme.encryptionKey, variable: acme.encryptionKeyEnv)
        let routes = server.routes
        let challenges = server.challenges
        let box = IssuedBox()
        let manager = CertificateManager(
            settings: .init(connectionString: config.masterDBURL, directoryURL: acme.directoryURL, email: acme.email,
                            caFile: acme.caFile,
                            policy: IssuancePolicy(renewBefore: acme.renewBefore, initialBackoff: acme.retryInitial, maxBackoff: acme.retryMax),
                            scanInterval: acme.scanInterval,
                            challenge: acme.challenge == .tlsALPN01 ? .tlsALPN01 : .http01,
                            dnsCheck: acme.dnsCheck.map { check in
                                DNSCheck(addresses: check.addresses,
                                         nameserver: check.nameserver.map { (host: $0.host, port: $0.port) })
                            }),
            vault: vault,
            hooks: .init(
                install: { host, chain, key in box.certificates?.install(hostname: host, chainPEM: chain, keyPEM: key) ?? false },
                routable: { host in isServedCustomHost(host, table: routes.current) },
                accountThumbprint: { challenges.setAccountThumbprint($0) },
                installChallenge: { host, challenge in box.certificates?.setChallenge(hostname: host, challenge) }),
            logger: logger)
        let issued = IssuedCertificates(base: base, publisher: server.certificates, ticketKeys: ticketKeys, logger: logger,
                                        missingCertificate: { [manager] host in manager.certificateMissing(host) })
        box.certificates = issued
        return OnDemandCertificates(manager: manager, certificates: issued)
    }

    /// An exact `store_hostnames` row marked as the store's own domain, of a store that is
    /// served: the only names worth a certificate.
    static func isServedCustomHost(_ host: String, table: RouteTable) -> Bool {
        let resolution = table.resolve(host)
        guard resolution.rule == .exact, resolution.hostKind == .custom, resolution.storeIndex >= 0 else { return false }
        return table.availability(resolution.storeIndex) == .serve
    }
}

/// Breaks the cycle manager -> install hook -> store -> missing hook -> manager: set once
/// right after both exist, before the manager's thread starts.
private final class IssuedBox: @unchecked Sendable {
    // Sendable: written once before any other thread can read it (the manager starts later).
    var certificates: IssuedCertificates?
}
