import Yams

/// `tls:`: certificates for `https` listeners. Parsed and path-resolved here; reading and
/// checking the PEM files is the TLS layer's job, so a config can be checked where the keys
/// are not readable.
public struct TLSConfig: Sendable, Equatable {
    /// Served when no per-host certificate matches the SNI name (or there is no SNI).
    public var defaultCertificate: CertificatePair?
    /// Folder of per-host certificates, absolute.
    public var certificatesDirectory: String?

    public init(defaultCertificate: CertificatePair? = nil, certificatesDirectory: String? = nil) {
        self.defaultCertificate = defaultCertificate
        self.certificatesDirectory = certificatesDirectory
    }
}

extension TLSConfig {
    static func read(_ node: Node, at path: String, _ reader: ConfigReader) -> TLSConfig? {
        guard let map = reader.mapping(node, at: path, keys: ["default_certificate", "certificates_dir"]) else {
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
        return valid ? config : nil
    }
}
