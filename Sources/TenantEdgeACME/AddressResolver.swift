import CResolv
import Glibc

/// A name's A and AAAA addresses, from the system resolver (getaddrinfo: /etc/hosts, the
/// resolv.conf servers, CNAMEs followed) or from one given nameserver (libresolv's
/// res_nquery, which follows nothing itself: the nameserver must recurse, as every resolver
/// does). Blocking: called on the issuance thread only.
public enum AddressResolver {
    public enum Failure: Error, Equatable {
        /// The lookup itself failed (timeout, SERVFAIL, unreadable answer): not a verdict on
        /// where the name points, but the order waits all the same.
        case lookup(String)
    }

    /// The addresses, possibly none (no such name, or no A/AAAA records).
    public static func resolve(_ hostname: String, nameserver: (host: String, port: UInt16)?) -> Result<[String], Failure> {
        if let nameserver { return query(hostname, at: nameserver) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(hostname, nil, &hints, &list)
        if rc == EAI_NONAME || rc == -5 /* EAI_NODATA, a GNU extension */ { return .success([]) }
        guard rc == 0 else { return .failure(.lookup(String(cString: gai_strerror(rc)))) }
        defer { freeaddrinfo(list) }
        var addresses: [String] = []
        var entry = list
        while let info = entry {
            entry = info.pointee.ai_next
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard let address = info.pointee.ai_addr else { continue }
            switch Int32(address.pointee.sa_family) {
            case AF_INET:
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    _ = inet_ntop(AF_INET, &v4.pointee.sin_addr, &buffer, socklen_t(buffer.count))
                }
            case AF_INET6:
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    _ = inet_ntop(AF_INET6, &v6.pointee.sin6_addr, &buffer, socklen_t(buffer.count))
                }
            default: continue
            }
            let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !text.isEmpty && !addresses.contains(text) { addresses.append(text) }
        }
        return .success(addresses)
    }

    private static func query(_ hostname: String, at nameserver: (host: String, port: UInt16)) -> Result<[String], Failure> {
        var server = in_addr()
        guard inet_pton(AF_INET, nameserver.host, &server) == 1 else {
            return .failure(.lookup("nameserver \(nameserver.host) is not an IPv4 address"))
        }
        // A and AAAA are asked separately; one failing (some servers answer SERVFAIL for a
        // type they hold nothing of) still leaves the other's answer to decide on. Only when
        // neither answers is the lookup a failure.
        var addresses: [String] = []
        var answered = false
        var problem = "no answer from \(nameserver.host):\(nameserver.port)"
        for type in [ns_t_a, ns_t_aaaa] {
            var answer = [UInt8](repeating: 0, count: 4096)
            let length = te_res_query_at(hostname, Int32(type.rawValue), server.s_addr, nameserver.port.bigEndian, &answer, Int32(answer.count))
            // NXDOMAIN and "no records of this type" (-2) are answers; -1 is no answer.
            if length == -2 { answered = true; continue }
            guard length >= 0 else { continue }
            var text = [CChar](repeating: 0, count: 2048)
            guard te_dns_answer_addresses(answer, length, &text, text.count) >= 0 else {
                problem = "unreadable answer from \(nameserver.host):\(nameserver.port)"
                continue
            }
            answered = true
            let lines = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            addresses += lines.split(separator: "\n").map(String.init)
        }
        return answered ? .success(addresses) : .failure(.lookup(problem))
    }
}
