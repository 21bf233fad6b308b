import Yams

/// A PEM certificate chain and its private key, as absolute paths.
public struct CertificatePair: Sendable, Equatable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

extension CertificatePair {
    static func read(_ node: Node, at path: String, _ reader: ConfigReader) -> CertificatePair? {
        guard let map = reader.mapping(node, at: path, keys: ["cert", "key"]) else { return nil }
        let cert = map.require("cert", reader).flatMap { reader.filePath($0, at: map.path("cert")) }
        let key = map.require("key", reader).flatMap { reader.filePath($0, at: map.path("key")) }
        guard let cert, let key else { return nil }
        return CertificatePair(certificatePath: cert, keyPath: key)
    }
}
