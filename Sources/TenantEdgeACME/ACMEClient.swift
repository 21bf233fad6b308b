import Foundation

/// An RFC 8555 client for one directory, driven by one thread at a time (the issuance thread).
///
/// It covers what on-demand issuance needs: directory, nonces (with the one retry section 6.5
/// allows for `badNonce`), account registration, a single-name order, HTTP-01 or TLS-ALPN-01,
/// finalize with a CSR, polling that honours `Retry-After`, and the chain download.
public final class ACMEClient {
    public let directoryURL: String
    public let accountKey: ACMEAccountKey
    public private(set) var accountURL: String?
    private let contactEmail: String?
    private let http: HTTPSClient
    private var directory: [String: Any] = [:]
    private var nonce: String?
    /// The longest we poll one order, so a stuck CA never holds the issuance thread forever.
    var pollDeadlineSeconds: Double = 120

    public init(directoryURL: String, accountKey: ACMEAccountKey, accountURL: String?, contactEmail: String?, http: HTTPSClient) {
        self.directoryURL = directoryURL
        self.accountKey = accountKey
        self.accountURL = accountURL
        self.contactEmail = contactEmail
        self.http = http
    }

    /// Which challenge the proxy answers (RFC 8555 section 8.3, RFC 8737).
    public enum ChallengeType: String, Sendable, Equatable {
        case http01 = "http-01"
        case tlsALPN01 = "tls-alpn-01"
    }

    /// The answer for a hostname's challenge token, published before the challenge is
    /// triggered and removed once the order ends either way. `publish` may throw: the
    /// challenge is then not triggered and the order fails with that error.
    public struct ChallengeHooks {
        public var publish: (_ hostname: String, _ token: String, _ keyAuthorization: String) throws(ACMEError) -> Void
        public var remove: (_ hostname: String, _ token: String) -> Void
        public init(publish: @escaping (String, String, String) throws(ACMEError) -> Void,
                    remove: @escaping (String, String) -> Void) {
            self.publish = publish
            self.remove = remove
        }
    }

    /// Registers (or finds, RFC 8555 section 7.3.1) the account; returns its URL.
    @discardableResult
    public func ensureAccount() throws(ACMEError) -> String {
        if let accountURL { return accountURL }
        var payload: [String: Any] = ["termsOfServiceAgreed": true]
        if let contactEmail, !contactEmail.isEmpty { payload["contact"] = ["mailto:\(contactEmail)"] }
        let response = try post(try endpoint("newAccount"), payload: payload, useJWK: true)
        guard let location = response.header("location") else { throw ACMEError.invalid("newAccount answered without a Location") }
        accountURL = location
        return location
    }

    /// Orders, validates and downloads a certificate for `request.hostname`.
    public func issue(_ request: CertificateRequest, challenge type: ChallengeType = .http01,
                      hooks: ChallengeHooks) throws(ACMEError) -> IssuedChain {
        try ensureAccount()
        let created = try post(try endpoint("newOrder"), payload: [
            "identifiers": [["type": "dns", "value": request.hostname]],
        ])
        guard let orderURL = created.header("location") else { throw ACMEError.invalid("newOrder answered without a Location") }
        var order = try Self.object(created.body)
        var published: [String] = []
        defer { for token in published { hooks.remove(request.hostname, token) } }

        for case let authorizationURL as String in order["authorizations"] as? [Any] ?? [] {
            let authorization = try Self.object(try post(authorizationURL, payload: nil).body)
            if authorization["status"] as? String == "valid" { continue }
            let challenges = authorization["challenges"] as? [[String: Any]] ?? []
            guard let challenge = challenges.first(where: { $0["type"] as? String == type.rawValue }),
                  let token = challenge["token"] as? String, let challengeURL = challenge["url"] as? String else {
                throw ACMEError.invalid("the CA offers no \(type.rawValue) challenge for \(request.hostname)")
            }
            published.append(token)
            try hooks.publish(request.hostname, token, accountKey.keyAuthorization(token: token))
            _ = try post(challengeURL, payload: [:])
            let final = try poll(authorizationURL, until: ["valid", "invalid"])
            if final["status"] as? String != "valid" {
                throw ACMEError.invalid("\(type.rawValue) for \(request.hostname) failed: \(Self.challengeError(final))")
            }
        }

        let csr: [UInt8]
        do { csr = try request.csrDER() } catch { throw ACMEError.local("cannot build the CSR: \(error)") }
        guard let finalizeURL = order["finalize"] as? String else { throw ACMEError.invalid("order without finalize URL") }
        order = try Self.object(try post(finalizeURL, payload: ["csr": JWS.base64URL(csr)]).body)
        if order["status"] as? String != "valid" {
            order = try poll(orderURL, until: ["valid", "invalid"])
        }
        guard order["status"] as? String == "valid", let certificateURL = order["certificate"] as? String else {
            throw ACMEError.invalid("order for \(request.hostname) ended \(order["status"] as? String ?? "without status")")
        }
        let chain = try post(certificateURL, payload: nil, accept: "application/pem-certificate-chain")
        return try IssuedChain(pem: String(decoding: chain.body, as: UTF8.self))
    }

    // MARK: - Requests

    private func endpoint(_ name: String) throws(ACMEError) -> String {
        if directory.isEmpty {
            let response = try http.send(method: "GET", url: directoryURL)
            guard response.status == 200 else { throw Self.failure(response, context: "directory") }
            directory = try Self.object(response.body)
        }
        guard let url = directory[name] as? String else { throw ACMEError.invalid("the directory has no \(name)") }
        return url
    }

    private func freshNonce() throws(ACMEError) -> String {
        if let nonce {
            self.nonce = nil
            return nonce
        }
        let response = try http.send(method: "HEAD", url: try endpoint("newNonce"))
        guard let value = response.header("replay-nonce") else { throw ACMEError.invalid("newNonce gave no Replay-Nonce") }
        return value
    }

    /// A signed POST; `payload` nil is POST-as-GET (section 6.3). A `badNonce` answer is
    /// retried with the nonce it carries, a few times (pebble rejects 5% of nonces on purpose).
    private func post(_ url: String, payload: [String: Any]?, useJWK: Bool = false, accept: String? = nil) throws(ACMEError) -> HTTPSClient.Response {
        let payloadText: String?
        if let payload {
            guard let data = try? JSONSerialization.data(withJSONObject: payload, options: [.withoutEscapingSlashes]) else {
                throw ACMEError.local("cannot encode the request")
            }
            payloadText = String(decoding: data, as: UTF8.self)
        } else {
            payloadText = nil
        }
        var attempts = 0
        while true {
            attempts += 1
            let body: [UInt8]
            do {
                body = try accountKey.sign(payload: payloadText, url: url, nonce: try freshNonce(), kid: useJWK ? nil : accountURL)
            } catch let error as ACMEError {
                throw error
            } catch {
                throw ACMEError.local("cannot sign: \(error)")
            }
            var headers = [("Content-Type", "application/jose+json")]
            if let accept { headers.append(("Accept", accept)) }
            let response = try http.send(method: "POST", url: url, headers: headers, body: body)
            nonce = response.header("replay-nonce")
            if (200..<300).contains(response.status) { return response }
            let error = Self.failure(response, context: url)
            if error.isBadNonce && attempts < 5 { continue }
            throw error
        }
    }

    /// Polls an order or authorization until its status is one of `until`, sleeping what the
    /// CA's `Retry-After` asks (1 to 10 s), up to `pollDeadlineSeconds`.
    private func poll(_ url: String, until: Set<String>) throws(ACMEError) -> [String: Any] {
        let deadline = Date().addingTimeInterval(pollDeadlineSeconds)
        while true {
            let response = try post(url, payload: nil)
            let object = try Self.object(response.body)
            if let status = object["status"] as? String, until.contains(status) { return object }
            guard Date() < deadline else { throw ACMEError.transport("\(url) still \(object["status"] as? String ?? "?") after \(Int(pollDeadlineSeconds)) s") }
            let wait = min(10, max(1, RetryAfter.seconds(response.header("retry-after")) ?? 1))
            Thread.sleep(forTimeInterval: wait)
        }
    }

    // MARK: - Decoding

    static func object(_ bytes: [UInt8]) throws(ACMEError) -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw ACMEError.invalid("the CA answered with something other than a JSON object")
        }
        return object
    }

    static func failure(_ response: HTTPSClient.Response, context: String) -> ACMEError {
        let retryAfter = RetryAfter.seconds(response.header("retry-after"))
        if let problem = try? object(response.body), let type = problem["type"] as? String {
            let detail = problem["detail"] as? String ?? ""
            let short = type.replacingOccurrences(of: "urn:ietf:params:acme:error:", with: "")
            return ACMEError(kind: .problem, description: "\(short): \(detail)", problemType: type, retryAfter: retryAfter)
        }
        return ACMEError(kind: .transport, description: "HTTP \(response.status) from \(context)", retryAfter: retryAfter)
    }

    static func challengeError(_ authorization: [String: Any]) -> String {
        for challenge in authorization["challenges"] as? [[String: Any]] ?? [] {
            if let error = challenge["error"] as? [String: Any] {
                return error["detail"] as? String ?? error["type"] as? String ?? "invalid"
            }
        }
        return "authorization \(authorization["status"] as? String ?? "invalid")"
    }
}
