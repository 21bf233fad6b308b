import Crypto
import Foundation

/// The ACME account's ES256 key and the JWS signing RFC 8555 section 6.2 asks for.
///
/// One key per directory, shared by every instance through the database (sealed like the
/// certificate keys), so the CA sees one account and its rate limits count one client.
public struct ACMEAccountKey: Sendable {
    public let privateKey: P256.Signing.PrivateKey

    public init(_ privateKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) {
        self.privateKey = privateKey
    }

    /// The public key as a JWK (RFC 7517) with its members in lexicographic order, which is
    /// also the exact form the RFC 7638 thumbprint hashes.
    public var jwkJSON: String {
        let point = Array(privateKey.publicKey.x963Representation)
        let x = JWS.base64URL(point[1..<33])
        let y = JWS.base64URL(point[33..<65])
        return #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
    }

    /// RFC 7638 thumbprint, the second half of every HTTP-01 key authorization.
    public var thumbprint: String { JWS.base64URL(Array(SHA256.hash(data: Array(jwkJSON.utf8)))) }

    /// RFC 8555 section 8.1: what the proxy serves at `/.well-known/acme-challenge/<token>`.
    public func keyAuthorization(token: String) -> String { token + "." + thumbprint }

    /// A flattened JWS (RFC 7515 section 7.2.2) over `payload` (nil: POST-as-GET, an empty
    /// payload). `kid` is the account URL once registered; before that the JWK itself.
    public func sign(payload: String?, url: String, nonce: String, kid: String?) throws -> [UInt8] {
        let key = kid.map { #""kid":\#(JWS.jsonString($0))"# } ?? #""jwk":\#(jwkJSON)"#
        let protected = #"{"alg":"ES256",\#(key),"nonce":\#(JWS.jsonString(nonce)),"url":\#(JWS.jsonString(url))}"#
        let protected64 = JWS.base64URL(Array(protected.utf8))
        let payload64 = payload.map { JWS.base64URL(Array($0.utf8)) } ?? ""
        let signature = try privateKey.signature(for: Array("\(protected64).\(payload64)".utf8))
        let signature64 = JWS.base64URL(Array(signature.rawRepresentation))
        return Array(#"{"protected":"\#(protected64)","payload":"\#(payload64)","signature":"\#(signature64)"}"#.utf8)
    }
}

/// Encoding helpers for JWS pieces.
enum JWS {
    static func base64URL(_ bytes: some Collection<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A JSON string literal (quotes included).
    static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        let array = String(decoding: data, as: UTF8.self)
        return String(array.dropFirst().dropLast())
    }
}
