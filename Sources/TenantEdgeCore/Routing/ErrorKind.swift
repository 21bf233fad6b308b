/// Every response the proxy answers itself, with its status and the stable `code` of the
/// JSON body. One list so that mapping failures to statuses happens in one place (like
/// Pingora's `fail_to_proxy`), and `ErrorPages` can pre-render all of them.
public enum ErrorKind: UInt8, Sendable, CaseIterable, Hashable {
    case notFound
    case provisioning
    case inactive
    case closed
    case badRequest
    case requestTimeout
    case uriTooLong
    case misdirected
    case headersTooLarge
    case internalError
    case notImplemented
    case badGateway
    case serviceUnavailable
    case gatewayTimeout
    case versionNotSupported

    public var status: Int {
        switch self {
        case .notFound: 404
        case .provisioning, .inactive, .serviceUnavailable: 503
        case .closed: 410
        case .badRequest: 400
        case .requestTimeout: 408
        case .uriTooLong: 414
        case .misdirected: 421
        case .headersTooLarge: 431
        case .internalError: 500
        case .notImplemented: 501
        case .badGateway: 502
        case .gatewayTimeout: 504
        case .versionNotSupported: 505
        }
    }

    /// The status line's reason phrase (RFC 9110 section 15).
    public var reasonPhrase: String {
        switch self {
        case .notFound: "Not Found"
        case .provisioning, .inactive, .serviceUnavailable: "Service Unavailable"
        case .closed: "Gone"
        case .badRequest: "Bad Request"
        case .requestTimeout: "Request Timeout"
        case .uriTooLong: "URI Too Long"
        case .misdirected: "Misdirected Request"
        case .headersTooLarge: "Request Header Fields Too Large"
        case .internalError: "Internal Server Error"
        case .notImplemented: "Not Implemented"
        case .badGateway: "Bad Gateway"
        case .gatewayTimeout: "Gateway Timeout"
        case .versionNotSupported: "HTTP Version Not Supported"
        }
    }

    /// The JSON body's `code`: part of the API that storefront clients check.
    public var code: String {
        switch self {
        case .notFound: "STORE_NOT_FOUND"
        case .provisioning: "STORE_PROVISIONING"
        case .inactive: "STORE_INACTIVE"
        case .closed: "STORE_CLOSED"
        case .badRequest: "BAD_REQUEST"
        case .requestTimeout: "REQUEST_TIMEOUT"
        case .uriTooLong: "URI_TOO_LONG"
        case .misdirected: "MISDIRECTED"
        case .headersTooLarge: "HEADERS_TOO_LARGE"
        case .internalError: "INTERNAL_ERROR"
        case .notImplemented: "NOT_IMPLEMENTED"
        case .badGateway: "BAD_GATEWAY"
        case .serviceUnavailable: "SERVICE_UNAVAILABLE"
        case .gatewayTimeout: "GATEWAY_TIMEOUT"
        case .versionNotSupported: "VERSION_NOT_SUPPORTED"
        }
    }

    /// Short heading for the HTML page.
    public var title: String {
        switch self {
        case .notFound: "Store not found"
        case .provisioning: "Store is being set up"
        case .inactive: "Store unavailable"
        case .closed: "Store closed"
        default: reasonPhrase
        }
    }

    /// One sentence for people, used by both the JSON `message` and the HTML page.
    public var message: String {
        switch self {
        case .notFound: "There is no store at this address."
        case .provisioning: "This store is being set up. Please try again in a moment."
        case .inactive: "This store is currently unavailable."
        case .closed: "This store has closed."
        case .badRequest: "The request could not be understood."
        case .requestTimeout: "The request took too long to arrive."
        case .uriTooLong: "The request address is too long."
        case .misdirected: "This server does not answer for this host."
        case .headersTooLarge: "The request headers are too large."
        case .internalError: "Something went wrong on our side."
        case .notImplemented: "The request uses a feature this server does not support."
        case .badGateway: "The store could not be reached."
        case .serviceUnavailable: "The service is temporarily unavailable. Please try again shortly."
        case .gatewayTimeout: "The store took too long to respond."
        case .versionNotSupported: "This HTTP version is not supported."
        }
    }

    /// Which template in `config/pages/` renders the HTML page.
    public var templateName: String {
        switch self {
        case .notFound: "not_found"
        case .provisioning: "provisioning"
        case .inactive: "inactive"
        case .closed: "closed"
        default: "error"
        }
    }

    /// The kind for a status from elsewhere (an `HTTPParseError`, an upstream failure);
    /// statuses without a kind of their own fall back to 400 or 500 by class.
    public init(status: Int) {
        if let kind = ErrorKind.allCases.first(where: { $0.status == status && !$0.isStoreState }) {
            self = kind
        } else {
            self = (400 ..< 500).contains(status) ? .badRequest : .internalError
        }
    }

    /// The four kinds that describe a store rather than the request.
    public var isStoreState: Bool {
        switch self {
        case .notFound, .provisioning, .inactive, .closed: true
        default: false
        }
    }
}
