/// The claims of an `X-Tenant-Context` token (DESIGN.md section 6). Property names are
/// Swift's; the JSON keys are exactly `iss aud sub store_id slug host host_kind status iat exp`,
/// which is also the order the signer writes them in.
public struct TenantContextClaims: Codable, Sendable, Equatable, Hashable {
    /// Who signed: the edge (config `tenant_context.issuer`).
    public var iss: String
    /// Who may accept it: the backend (config `tenant_context.audience`).
    public var aud: String
    /// The store id again, as JWT libraries expect a subject.
    public var sub: String
    public var storeId: String
    public var slug: String
    /// The normalized host the client asked for.
    public var host: String
    /// `custom` or `platform`.
    public var hostKind: String
    /// The store's `status` column at signing time.
    public var status: String
    /// Seconds since the Unix epoch.
    public var iat: Int64
    public var exp: Int64

    public init(
        iss: String, aud: String, sub: String, storeId: String, slug: String, host: String,
        hostKind: String, status: String, iat: Int64, exp: Int64
    ) {
        self.iss = iss
        self.aud = aud
        self.sub = sub
        self.storeId = storeId
        self.slug = slug
        self.host = host
        self.hostKind = hostKind
        self.status = status
        self.iat = iat
        self.exp = exp
    }

    enum CodingKeys: String, CodingKey {
        case iss, aud, sub
        case storeId = "store_id"
        case slug, host
        case hostKind = "host_kind"
        case status, iat, exp
    }

    /// Compact JSON with a fixed key order, written by hand rather than with `JSONEncoder`:
    /// the bytes are signed, so they must be the same on every platform and version, and
    /// this runs whenever a cached token is re-signed.
    public func jsonBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        JSONText.appendObjectStart(&out)
        JSONText.appendMember("iss", iss, first: true, to: &out)
        JSONText.appendMember("aud", aud, to: &out)
        JSONText.appendMember("sub", sub, to: &out)
        JSONText.appendMember("store_id", storeId, to: &out)
        JSONText.appendMember("slug", slug, to: &out)
        JSONText.appendMember("host", host, to: &out)
        JSONText.appendMember("host_kind", hostKind, to: &out)
        JSONText.appendMember("status", status, to: &out)
        JSONText.appendMember("iat", iat, to: &out)
        JSONText.appendMember("exp", exp, to: &out)
        JSONText.appendObjectEnd(&out)
        return out
    }
}
