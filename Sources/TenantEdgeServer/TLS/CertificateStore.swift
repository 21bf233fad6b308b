import COpenSSL
import Foundation

/// The certificates a TLS listener can present, as an immutable snapshot.
///
/// A reload builds a new store and publishes it; handshakes already under way keep the
/// store they started with (each TLS connection holds a reference), so nothing is
/// dropped and no certificate is freed while OpenSSL may still use it.
public final class CertificateStore: @unchecked Sendable {
    // Sendable: immutable after init; the SSL_CTXs inside are configured before sharing.
    let defaultCertificate: TLSCertificate
    private let exact: [String: TLSCertificate]
    /// Keyed by the domain under the wildcard: `*.platform.example` → `platform.example`.
    private let wildcard: [String: TLSCertificate]
    /// Files skipped, with the reason: logged by the caller, never fatal.
    public let skipped: [String]
    /// OCSP files not stapled, with the reason; their certificates serve without a staple.
    public let skippedOCSP: [String]
    /// The process's rotating ticket keys, shared with every other store (nil: OpenSSL's
    /// per-context keys, as when only checking a configuration).
    public let ticketKeys: TicketKeyRing?
    /// Told the name of a handshake that found no certificate (certificates on demand);
    /// called on a worker thread mid-handshake, so it must only note the name and return.
    private let missingCertificate: (@Sendable (String) -> Void)?
    /// TLS-ALPN-01 challenge certificates by hostname (RFC 8737), served only to hellos that
    /// offer nothing but `acme-tls/1`; empty except while an order for that name is pending.
    private let challenges: [String: TLSCertificate]
    /// `!challenges.isEmpty`: lets the SNI callback skip its challenge check with one read.
    let hasChallenges: Bool
    public var count: Int { Set((exact.values.map(\.certificatePath)) + wildcard.values.map(\.certificatePath)).count + 1 }

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Loads the default pair (required: it answers handshakes without SNI or for unknown
    /// names) and every pair found in `directory`:
    /// - `<host>.pem` + `<host>.key` (`_wildcard.<domain>.pem` for `*.<domain>`);
    /// - certbot's `live/<host>/fullchain.pem` + `privkey.pem`.
    /// Each certificate also answers for the DNS names in its subjectAltName.
    /// An OCSP response in `<certificate file>.ocsp` is stapled (see TLSCertificate).
    public init(defaultCertificate pair: (cert: String, key: String), directory: String?, alpn: ALPNPolicy,
                ticketKeys: TicketKeyRing? = nil) throws(LoadError) {
        self.ticketKeys = ticketKeys
        do {
            defaultCertificate = try TLSCertificate(certificatePath: pair.cert, keyPath: pair.key, alpn: alpn,
                                                    ticketKeys: ticketKeys)
        } catch {
            throw LoadError(description: "tls.default_certificate: \(error)")
        }
        var exact: [String: TLSCertificate] = [:]
        var wildcard: [String: TLSCertificate] = [:]
        var skipped: [String] = []
        for (name, paths) in Self.pairs(in: directory) {
            do {
                let certificate = try TLSCertificate(certificatePath: paths.cert, keyPath: paths.key, alpn: alpn,
                                                     ticketKeys: ticketKeys)
                for dnsName in Set([name] + certificate.names) {
                    if dnsName.hasPrefix("*.") {
                        wildcard[String(dnsName.dropFirst(2))] = certificate
                    } else {
                        exact[dnsName] = certificate
                    }
                }
            } catch {
                skipped.append("\(error)")
            }
        }
        self.exact = exact
        self.wildcard = wildcard
        self.skipped = skipped
        var skippedOCSP: [String] = []
        for certificate in [defaultCertificate] + Array(exact.values) + Array(wildcard.values) {
            if let problem = certificate.ocspProblem, !skippedOCSP.contains(problem) { skippedOCSP.append(problem) }
        }
        self.skippedOCSP = skippedOCSP.sorted()
        self.missingCertificate = nil
        challenges = [:]
        hasChallenges = false
    }

    /// `base` plus certificates issued at run time (ACME), keyed by hostname, without reading
    /// any file again: the base's contexts are shared. A certificate from the files wins over an
    /// issued one for the same name (the operator put it there on purpose). `challenges` are
    /// the pending TLS-ALPN-01 certificates (made with `ALPNPolicy.acmeTLS1`).
    public init(base: CertificateStore, issued: [String: TLSCertificate], challenges: [String: TLSCertificate] = [:],
                missingCertificate: (@Sendable (String) -> Void)?) {
        defaultCertificate = base.defaultCertificate
        var exact = base.exact
        for (name, certificate) in issued where exact[name] == nil { exact[name] = certificate }
        self.exact = exact
        wildcard = base.wildcard
        skipped = base.skipped
        skippedOCSP = base.skippedOCSP
        ticketKeys = base.ticketKeys
        self.missingCertificate = missingCertificate
        self.challenges = challenges
        hasChallenges = !challenges.isEmpty
    }

    /// The TLS-ALPN-01 certificate for exactly this name (no wildcard: RFC 8737 validates one
    /// dNSName), or nil.
    func challengeCertificate(forServerName raw: UnsafePointer<CChar>) -> TLSCertificate? {
        guard hasChallenges else { return nil }
        var name = String(cString: raw).lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return challenges[name]
    }

    func reportMissing(_ raw: UnsafePointer<CChar>) {
        guard let missingCertificate else { return }
        var name = String(cString: raw).lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        missingCertificate(name)
    }

    /// Exact name, then the wildcard one label up; nil means the default certificate.
    func certificate(forServerName raw: UnsafePointer<CChar>) -> TLSCertificate? {
        var name = String(cString: raw).lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return certificate(forName: name)
    }

    public func certificate(forName name: String) -> TLSCertificate? {
        if let certificate = exact[name] { return certificate }
        if let dot = name.firstIndex(of: "."), let certificate = wildcard[String(name[name.index(after: dot)...])] {
            return certificate
        }
        return nil
    }

    private static func pairs(in directory: String?) -> [(String, (cert: String, key: String))] {
        guard let directory else { return [] }
        let files = FileManager.default
        var result: [(String, (cert: String, key: String))] = []
        let entries = (try? files.contentsOfDirectory(atPath: directory))?.sorted() ?? []
        for entry in entries where entry.hasSuffix(".pem") {
            let base = String(entry.dropLast(4))
            let key = "\(directory)/\(base).key"
            guard files.fileExists(atPath: key) else { continue }
            let name = base.hasPrefix("_wildcard.") ? "*." + base.dropFirst("_wildcard.".count) : base
            result.append((name.lowercased(), ("\(directory)/\(entry)", key)))
        }
        let live = "\(directory)/live"
        for host in (try? files.contentsOfDirectory(atPath: live))?.sorted() ?? [] {
            let cert = "\(live)/\(host)/fullchain.pem"
            let key = "\(live)/\(host)/privkey.pem"
            if files.fileExists(atPath: cert) && files.fileExists(atPath: key) {
                result.append((host.lowercased(), (cert, key)))
            }
        }
        return result
    }
}
