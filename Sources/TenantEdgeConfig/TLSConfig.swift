import Yams

/// `tls:`: certificates for `https` listeners. Parsed and path-resolved here; reading and
/// checking the PEM files is the TLS layer's job, so a config can be checked where the keys
/// are not readable.
public struct TLSConfig: Sendable, Equatable {
    /// Served when no per-host certificate matches the SNI name (or there is no SNI).
    public var defaultCertificate: CertificatePair?
    /// Folder of per-host certificates, absolute.
    public var certificatesDirectory: String?
    /// Seconds between session ticket key rotations; a key decrypts for two periods, which
    /// is also how long a session can be resumed. Twelve hours unless set.
    public var sessionTicketRotation: Double

    public static let defaultSessionTicketRotation: Double = 12 * 3600

    public init(defaultCertificate: CertificatePair? = nil, certificatesDirectory: String? = nil,
                sessionTicketRotation: Double = TLSConfig.defaultSessionTicketRotation) {
        self.defaultCertificate = defaultCertificate
        self.certificatesDirectory = certificatesDirectory
        self.sessionTicketRotation = sessionTicketRotation
    }
}

extension TLSConfig {
    static func read(_ node: Node, at path: String, _ reader: ConfigReader) -> TLSConfig? {
        guard let map = reader.mapping(node, at: path, keys: ["default_certificate", "certificates_dir", "session_ticket_rotation"]) else {
            return nil
        }
        var valid = true
        var config = TLSConfig()
        if let value = map["default_certificate"] {
            config.defaultCertificate = CertificatePair.read(value, at: map.path("default_certificate"), reader)
            valid = valid && config.defaultCertificate != nil
        }
        if let value = map["certificates_dir"] {
            config.certificatesDirectory = reader.filePath(value, at: map.path("certificates_dir"))
            valid = valid && config.certificatesDirectory != nil
        }
        if let value = map["session_ticket_rotation"] {
            let seconds = reader.seconds(value, at: map.path("session_ticket_rotation"))
            config.sessionTicketRotation = seconds ?? config.sessionTicketRotation
            valid = valid && seconds != nil
        }
        return valid ? config : nil
    }
}
