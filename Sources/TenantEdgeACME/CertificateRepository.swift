import Foundation
import TenantEdgeMaster

/// Reads and writes `tenant_edge_certificates` and `tenant_edge_acme_accounts` (added by the
/// migration). Every write fires the table's trigger, whose NOTIFY tells the other instances to
/// reload that hostname.
///
/// Keys cross the wire sealed, as hex (`decode`/`encode`), so the text protocol carries them
/// without escaping questions.
public struct CertificateRepository: Sendable {
    public static let channel = "tenant_edge_certificates"
    private static let columns = """
        hostname, state, chain_pem, encode(key_ciphertext, 'hex'), encode(key_nonce, 'hex'),
        extract(epoch FROM not_before)::float8::text, extract(epoch FROM not_after)::float8::text,
        failure_reason, failures::text, extract(epoch FROM next_attempt_at)::float8::text, orders::text,
        challenge_token
        """
    /// The first key of the two-key advisory lock, so ours never collide with the platform's.
    private static let lockSpace = "731065"

    public let connection: PostgresConnection

    public init(connection: PostgresConnection) { self.connection = connection }

    public func all() throws(MasterDBError) -> [CertificateRecord] {
        try connection.query("SELECT \(Self.columns) FROM tenant_edge_certificates ORDER BY hostname").rows.compactMap(Self.record)
    }

    public func record(_ hostname: String) throws(MasterDBError) -> CertificateRecord? {
        try connection.query("SELECT \(Self.columns) FROM tenant_edge_certificates WHERE hostname = $1", params: [hostname])
            .rows.first.flatMap(Self.record)
    }

    /// Session-level and non-blocking: the instance that gets it orders; the others go on
    /// serving and load the result when the row's NOTIFY arrives. A crashed holder's session
    /// ends and the lock with it, so a name is never stuck.
    public func tryLock(_ hostname: String) throws(MasterDBError) -> Bool {
        try connection.query("SELECT pg_try_advisory_lock(\(Self.lockSpace), hashtext($1))::text", params: [hostname])[0, 0] == "true"
    }

    public func unlock(_ hostname: String) throws(MasterDBError) {
        _ = try connection.query("SELECT pg_advisory_unlock(\(Self.lockSpace), hashtext($1))", params: [hostname])
    }

    /// Marks the name as being ordered and counts the order.
    public func beginOrder(_ hostname: String) throws(MasterDBError) {
        _ = try connection.query("""
            INSERT INTO tenant_edge_certificates (hostname, state, orders) VALUES ($1, 'pending', 1)
            ON CONFLICT (hostname) DO UPDATE SET state = CASE WHEN tenant_edge_certificates.chain_pem IS NULL
                THEN 'pending' ELSE tenant_edge_certificates.state END,
                orders = tenant_edge_certificates.orders + 1, challenge_token = NULL, updated_at = now()
            """, params: [hostname])
    }

    /// Publishes (or with nil withdraws) a TLS-ALPN-01 token; the NOTIFY tells every instance.
    public func setChallengeToken(_ hostname: String, token: String?) throws(MasterDBError) {
        _ = try connection.query("UPDATE tenant_edge_certificates SET challenge_token = $2 WHERE hostname = $1",
                                 params: [hostname, token])
    }

    /// A name not ordered because a check before the order failed (it does not resolve to the
    /// proxy): recorded like a failed order, with its backoff, but no order counted.
    public func storeRefusal(_ hostname: String, reason: String, nextAttemptAt: Double) throws(MasterDBError) {
        _ = try connection.query("""
            INSERT INTO tenant_edge_certificates (hostname, state, failure_reason, failures, next_attempt_at)
            VALUES ($1, 'failing', $2, 1, to_timestamp($3::float8))
            ON CONFLICT (hostname) DO UPDATE SET
                state = CASE WHEN tenant_edge_certificates.chain_pem IS NULL THEN 'failing' ELSE tenant_edge_certificates.state END,
                failure_reason = $2, failures = tenant_edge_certificates.failures + 1,
                next_attempt_at = to_timestamp($3::float8), updated_at = now()
            """, params: [hostname, String(reason.prefix(500)), String(nextAttemptAt)])
    }

    public func storeIssued(_ hostname: String, chain: IssuedChain, sealedKey: CertificateVault.Sealed) throws(MasterDBError) {
        _ = try connection.query("""
            UPDATE tenant_edge_certificates SET state = 'valid', chain_pem = $2, key_ciphertext = decode($3, 'hex'),
                key_nonce = decode($4, 'hex'), not_before = to_timestamp($5::float8), not_after = to_timestamp($6::float8),
                failure_reason = NULL, failures = 0, next_attempt_at = NULL, updated_at = now()
            WHERE hostname = $1
            """, params: [hostname, chain.pem, Hex.encode(sealedKey.ciphertext), Hex.encode(sealedKey.nonce),
                          String(chain.notBefore), String(chain.notAfter)])
    }

    /// A failed order keeps any certificate still held (it goes on being served until it
    /// expires) and records why and when to try again.
    public func storeFailure(_ hostname: String, reason: String, nextAttemptAt: Double) throws(MasterDBError) {
        _ = try connection.query("""
            UPDATE tenant_edge_certificates SET state = CASE WHEN chain_pem IS NULL THEN 'failing' ELSE state END,
                failure_reason = $2, failures = failures + 1, next_attempt_at = to_timestamp($3::float8), updated_at = now()
            WHERE hostname = $1
            """, params: [hostname, String(reason.prefix(500)), String(nextAttemptAt)])
    }

    public func account(directoryURL: String) throws(MasterDBError) -> (url: String?, sealedKey: CertificateVault.Sealed)? {
        let result = try connection.query("""
            SELECT account_url, encode(key_ciphertext, 'hex'), encode(key_nonce, 'hex')
            FROM tenant_edge_acme_accounts WHERE directory_url = $1
            """, params: [directoryURL])
        guard let row = result.rows.first, let text = row[1], let nonce = row[2],
              let ciphertext = Hex.decode(text), let nonceBytes = Hex.decode(nonce) else { return nil }
        return (row[0], CertificateVault.Sealed(ciphertext: ciphertext, nonce: nonceBytes))
    }

    /// First writer wins: two instances registering at once both read back the one stored key.
    public func saveAccount(directoryURL: String, url: String?, sealedKey: CertificateVault.Sealed) throws(MasterDBError) {
        _ = try connection.query("""
            INSERT INTO tenant_edge_acme_accounts (directory_url, account_url, key_ciphertext, key_nonce)
            VALUES ($1, $2, decode($3, 'hex'), decode($4, 'hex'))
            ON CONFLICT (directory_url) DO UPDATE SET account_url = COALESCE(tenant_edge_acme_accounts.account_url, EXCLUDED.account_url)
            """, params: [directoryURL, url, Hex.encode(sealedKey.ciphertext), Hex.encode(sealedKey.nonce)])
    }

    private static func record(_ row: [String?]) -> CertificateRecord? {
        guard let hostname = row[0], let state = row[1].flatMap(CertificateRecord.State.init) else { return nil }
        var sealed: CertificateVault.Sealed?
        if let text = row[3], let nonce = row[4], let ciphertext = Hex.decode(text), let nonceBytes = Hex.decode(nonce) {
            sealed = CertificateVault.Sealed(ciphertext: ciphertext, nonce: nonceBytes)
        }
        return CertificateRecord(
            hostname: hostname, state: state, chainPEM: row[2], sealedKey: sealed,
            notBefore: row[5].flatMap(Double.init), notAfter: row[6].flatMap(Double.init), failureReason: row[7],
            failures: row[8].flatMap { Int($0) } ?? 0, nextAttemptAt: row[9].flatMap(Double.init),
            orders: row[10].flatMap { Int($0) } ?? 0, challengeToken: row[11])
    }
}

enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var index = 0
        while index < chars.count {
            guard let high = value(chars[index]), let low = value(chars[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
