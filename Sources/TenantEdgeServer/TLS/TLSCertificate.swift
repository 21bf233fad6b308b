import COpenSSL
import Foundation
import Glibc

/// One certificate chain and its private key, loaded and checked, as a server SSL_CTX.
///
/// Invariant: `context` is a fully configured SSL_CTX owned by this object (freed in
/// deinit); after init it is only read (SSL_new takes its own reference), so sharing it
/// between worker threads is safe, as OpenSSL documents for configured contexts.
public final class TLSCertificate: @unchecked Sendable {
    let context: OpaquePointer
    /// DNS names from the subjectAltName extension (or the CN when there is none),
    /// lowercased; `*.example.com` for wildcards.
    public let names: [String]
    public let notAfter: String
    public let certificatePath: String
    /// The OCSP response stapled for this certificate (read from `<certificate>.ocsp`), or
    /// nil. Freed in deinit, after the context whose status callback points at it.
    private let staple: UnsafeMutablePointer<te_ocsp_staple>?
    /// Why `<certificate>.ocsp` exists but is not stapled; the certificate serves anyway.
    public let ocspProblem: String?
    /// Kept alive as long as the context whose ticket callback reads it.
    let ticketKeys: TicketKeyRing?
    public var staplesOCSP: Bool { staple != nil }

    /// Where an OCSP response for a certificate file is looked for: next to it, with
    /// `.ocsp` appended (`shop.example.pem.ocsp`, certbot's `fullchain.pem.ocsp`).
    public static func ocspPath(for certificatePath: String) -> String { certificatePath + ".ocsp" }

    public struct LoadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Loads a PEM chain (leaf first) and key. Rejects unparsable files, a key that does not
    /// match, and an expired certificate, each with a message naming the file.
    /// With `ticketKeys`, tickets use the process's rotating keys; without, OpenSSL's own
    /// per-context keys (enough for checking a configuration). A DER OCSP response in
    /// `<certificatePath>.ocsp` is stapled if it checks out; if not, `ocspProblem` says why.
    public init(certificatePath: String, keyPath: String, alpn: ALPNPolicy,
                ticketKeys: TicketKeyRing? = nil) throws(LoadError) {
        self.certificatePath = certificatePath
        self.ticketKeys = ticketKeys
        guard let context = TLSContextFactory.makeContext(alpn: alpn) else {
            throw LoadError(path: certificatePath, reason: "cannot create TLS context: \(TLSCertificate.lastError())")
        }
        var ok = false
        defer { if !ok { SSL_CTX_free(context) } }
        ERR_clear_error()
        guard SSL_CTX_use_certificate_chain_file(context, certificatePath) == 1 else {
            throw LoadError(path: certificatePath, reason: "not a readable PEM certificate chain (\(TLSCertificate.lastError()))")
        }
        guard let file = BIO_new_file(keyPath, "r") else {
            throw LoadError(path: keyPath, reason: "cannot open private key (\(TLSCertificate.lastError()))")
        }
        let key = PEM_read_bio_PrivateKey(file, nil, nil, nil)
        BIO_free(file)
        try TLSCertificate.use(key: key, on: context, label: keyPath, certificate: " \(certificatePath)")
        guard let leaf = SSL_CTX_get0_certificate(context) else {
            throw LoadError(path: certificatePath, reason: "no certificate in file")
        }
        try TLSCertificate.checkNotExpired(leaf, label: certificatePath)
        self.names = TLSCertificate.dnsNames(of: leaf)
        self.notAfter = TLSCertificate.timeString(X509_get0_notAfter(leaf))
        ticketKeys?.install(on: context)
        let ocsp = TLSCertificate.loadStaple(for: certificatePath, serial: X509_get0_serialNumber(leaf))
        staple = ocsp.staple
        ocspProblem = ocsp.problem
        if let staple = ocsp.staple { te_ssl_ctx_set_ocsp_staple(context, staple) }
        self.context = context
        ok = true
    }

    /// A chain and key held in memory (issued by ACME, the key opened from the vault): the
    /// private key never touches the disk. `label` names it in errors and `certificatePath`.
    /// Tickets use `ticketKeys` like the files' certificates: once the SNI callback has
    /// switched a handshake to this context, the ticket callback reads the ring from it.
    /// No OCSP staple: nothing fetches responses for issued certificates.
    public init(chainPEM: String, keyPEM: String, label: String, alpn: ALPNPolicy,
                ticketKeys: TicketKeyRing? = nil) throws(LoadError) {
        certificatePath = label
        self.ticketKeys = ticketKeys
        staple = nil
        ocspProblem = nil
        guard let context = TLSContextFactory.makeContext(alpn: alpn) else {
            throw LoadError(path: label, reason: "cannot create TLS context: \(TLSCertificate.lastError())")
        }
        var ok = false
        defer { if !ok { SSL_CTX_free(context) } }
        ERR_clear_error()
        var certificates: [OpaquePointer] = []
        defer { for certificate in certificates { X509_free(certificate) } }
        let chainBytes = Array(chainPEM.utf8)
        chainBytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return }
            defer { BIO_free(bio) }
            while let certificate = PEM_read_bio_X509(bio, nil, nil, nil) { certificates.append(certificate) }
        }
        ERR_clear_error()
        guard let leaf = certificates.first, SSL_CTX_use_certificate(context, leaf) == 1 else {
            throw LoadError(path: label, reason: "not a readable PEM certificate chain (\(TLSCertificate.lastError()))")
        }
        if certificates.count > 1, let chain = te_sk_x509_new() {
            // The stack takes over the intermediates' references (freed with it); set1
            // took references of its own.
            for certificate in certificates.dropFirst() { _ = te_sk_x509_push(chain, certificate) }
            certificates.removeSubrange(1...)
            _ = te_ssl_ctx_set_chain(context, chain)
            te_sk_x509_pop_free(chain)
        }
        let keyBytes = Array(keyPEM.utf8)
        let key: OpaquePointer? = keyBytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        try TLSCertificate.use(key: key, on: context, label: label, certificate: "")
        try TLSCertificate.checkNotExpired(leaf, label: label)
        names = TLSCertificate.dnsNames(of: leaf)
        notAfter = TLSCertificate.timeString(X509_get0_notAfter(leaf))
        ticketKeys?.install(on: context)
        self.context = context
        ok = true
    }

    /// Installs a parsed private key (taking care of freeing it) and checks that it belongs to
    /// the context's certificate; `certificate` is appended to the mismatch message.
    private static func use(key: OpaquePointer?, on context: OpaquePointer, label: String,
                            certificate: String) throws(LoadError) {
        guard let key else {
            throw LoadError(path: label, reason: "not a readable PEM private key (\(TLSCertificate.lastError()))")
        }
        defer { EVP_PKEY_free(key) }
        guard SSL_CTX_use_PrivateKey(context, key) == 1, SSL_CTX_check_private_key(context) == 1 else {
            ERR_clear_error()
            throw LoadError(path: label, reason: "private key does not match the certificate\(certificate)")
        }
    }

    private static func checkNotExpired(_ leaf: OpaquePointer, label: String) throws(LoadError) {
        if X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0 {
            throw LoadError(path: label, reason: "certificate has expired")
        }
    }

    deinit {
        SSL_CTX_free(context)
        if let staple {
            staple.pointee.der.deallocate()
            staple.deallocate()
        }
    }

    /// Reads and checks `<certificate>.ocsp`; no file is no staple and no problem.
    private static func loadStaple(
        for certificatePath: String, serial: UnsafePointer<ASN1_INTEGER>?
    ) -> (staple: UnsafeMutablePointer<te_ocsp_staple>?, problem: String?) {
        let path = ocspPath(for: certificatePath)
        guard let data = FileManager.default.contents(atPath: path) else {
            return (nil, FileManager.default.fileExists(atPath: path) ? "\(path): cannot read the OCSP response" : nil)
        }
        let bytes = [UInt8](data)
        guard let serial, !bytes.isEmpty else { return (nil, "\(path): not a DER OCSP response") }
        if let problem = te_ocsp_check(bytes, bytes.count, serial) {
            return (nil, "\(path): \(String(cString: problem)); stapling nothing for this certificate")
        }
        let der = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count)
        der.initialize(from: bytes, count: bytes.count)
        let staple = UnsafeMutablePointer<te_ocsp_staple>.allocate(capacity: 1)
        staple.initialize(to: te_ocsp_staple(length: bytes.count, der: der))
        return (staple, nil)
    }

    static func dnsNames(of certificate: OpaquePointer) -> [String] {
        var names: [String] = []
        if let raw = X509_get_ext_d2i(certificate, NID_subject_alt_name, nil, nil) {
            let list = OpaquePointer(raw)
            for index in 0..<te_sk_general_name_num(list) {
                var length: Int32 = 0
                if let entry = te_sk_general_name_value(list, index), let bytes = te_general_name_dns(entry, &length) {
                    names.append(String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self).lowercased())
                }
            }
            te_general_names_free(list)
        }
        if names.isEmpty, let subject = X509_get_subject_name(certificate) {
            var buffer = [CChar](repeating: 0, count: 256)
            let n = X509_NAME_get_text_by_NID(subject, NID_commonName, &buffer, Int32(buffer.count))
            if n > 0 {
                names.append(String(decoding: buffer.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self).lowercased())
            }
        }
        return names
    }

    static func timeString(_ time: UnsafePointer<ASN1_TIME>?) -> String {
        guard let time, let bio = BIO_new(BIO_s_mem()) else { return "?" }
        defer { BIO_free(bio) }
        ASN1_TIME_print(bio, time)
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = BIO_read(bio, &buffer, Int32(buffer.count))
        return n > 0 ? String(decoding: buffer.prefix(Int(n)), as: UTF8.self) : "?"
    }

    static func lastError() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        ERR_clear_error()
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
