import Crypto
import Foundation
import Testing
import TenantContext

@Suite struct PrivateKeyPEMTests {
    /// `openssl genpkey -algorithm ed25519` output (RFC 8410 section 10.3 example key).
    static let opensslEd25519 = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
        -----END PRIVATE KEY-----
        """

    @Test func ed25519FromOpenSSLPEM() throws {
        let key = try PrivateKeyPEM.ed25519(Self.opensslEd25519)
        // RFC 8410 section 10.3 gives the matching public key.
        #expect(Base64URL.encode(Array(key.publicKey.rawRepresentation)) == "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE")
        #expect(PrivateKeyPEM.pem(key).trimmingCharacters(in: .whitespacesAndNewlines) == Self.opensslEd25519)
    }

    /// The same key as `openssl ecparam -genkey` (SEC1) and `openssl pkcs8 -topk8` (PKCS#8) write it.
    static let opensslSEC1 = """
        -----BEGIN EC PRIVATE KEY-----
        MHcCAQEEIO9CnSsUdXh66i84zMoXXqMeJnnASYEhm3cCb8TqJ8LCoAoGCCqGSM49
        AwEHoUQDQgAE/hBbdakRIG+NZqUiYmVmvAS0sdfSlHTzztRNKY3fN9F+SutUwEPO
        jcrdx+LuDR9yDw6tQu/3RkOfRW5hKyFOuQ==
        -----END EC PRIVATE KEY-----
        """
    static let opensslPKCS8 = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg70KdKxR1eHrqLzjM
        yhdeox4mecBJgSGbdwJvxOonwsKhRANCAAT+EFt1qREgb41mpSJiZWa8BLSx19KU
        dPPO1E0pjd830X5K61TAQ86Nyt3H4u4NH3IPDq1C7/dGQ59FbmErIU65
        -----END PRIVATE KEY-----
        """

    @Test(arguments: [opensslSEC1, opensslPKCS8]) func p256FromOpenSSLPEM(pem: String) throws {
        let key = try PrivateKeyPEM.p256(pem)
        #expect(Data(key.publicKey.rawRepresentation).base64EncodedString()
            == "/hBbdakRIG+NZqUiYmVmvAS0sdfSlHTzztRNKY3fN9F+SutUwEPOjcrdx+LuDR9yDw6tQu/3RkOfRW5hKyFOuQ==")
        let signing = try SigningKey(kid: "k", algorithm: .es256, privateKeyPEM: pem)
        #expect(signing.algorithm == .es256 && signing.canSign)
    }

    @Test func wrongTypeIsAnError() {
        let p256 = P256.Signing.PrivateKey().pemRepresentation
        #expect(throws: PrivateKeyPEM.Error.self) { try SigningKey(kid: "k", algorithm: .edDSA, privateKeyPEM: p256) }
        #expect(throws: PrivateKeyPEM.Error.self) { try SigningKey(kid: "k", algorithm: .es256, privateKeyPEM: Self.opensslEd25519) }
        #expect(throws: PrivateKeyPEM.Error.self) { try SigningKey(kid: "k", algorithm: .hs256, privateKeyPEM: p256) }
        #expect(throws: PrivateKeyPEM.Error.self) { try PrivateKeyPEM.ed25519("garbage") }
    }
}
