#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <netdb.h>

// libresolv spells res_ninit/res_nquery and the ns_msg accessors as macros, which Swift cannot
// call; these wrappers give the DNS check (acme.dns_check with a nameserver) one call each.

// Asks the IPv4 nameserver `ns_addr`:`ns_port` (both in network byte order) for the records of
// `type` (ns_t_a, ns_t_aaaa) of `name`, with recursion desired. Returns the answer's length in
// `answer`; -2 when the name does not exist or has no records of that type (an answer, not a
// failure); -1 when no usable answer came. A private resolver state per call,
// so nothing is shared between threads and the system's resolv.conf servers are not asked.
static inline int te_res_query_at(const char *name, int type, uint32_t ns_addr, uint16_t ns_port,
                                  unsigned char *answer, int size) {
    struct __res_state state;
    memset(&state, 0, sizeof state);
    if (res_ninit(&state) != 0) return -1;
    for (int i = 0; i < MAXNS; i++) {
        // IPv6 servers from resolv.conf would take precedence over nsaddr_list; drop them.
        if (state._u._ext.nsaddrs[i] != NULL) { free(state._u._ext.nsaddrs[i]); state._u._ext.nsaddrs[i] = NULL; }
    }
    state.nscount = 1;
    state.nsaddr_list[0].sin_family = AF_INET;
    state.nsaddr_list[0].sin_addr.s_addr = ns_addr;
    state.nsaddr_list[0].sin_port = ns_port;
    state.retrans = 2;
    state.retry = 2;
    int length = res_nquery(&state, name, ns_c_in, type, answer, size);
    int error = state.res_h_errno;
    res_nclose(&state);
    if (length < 0) return error == HOST_NOT_FOUND || error == NO_DATA ? -2 : -1;
    return length;
}

// Writes the A and AAAA addresses of the answer section as text, each followed by '\n', into
// `out` (NUL-terminated, truncated at `size`). Returns how many, or -1 for a malformed message.
static inline int te_dns_answer_addresses(const unsigned char *answer, int length, char *out, size_t size) {
    ns_msg message;
    if (size == 0 || ns_initparse(answer, length, &message) != 0) return -1;
    out[0] = 0;
    size_t used = 0;
    int found = 0;
    for (int i = 0; i < ns_msg_count(message, ns_s_an); i++) {
        ns_rr record;
        if (ns_parserr(&message, ns_s_an, i, &record) != 0) return -1;
        char text[INET6_ADDRSTRLEN];
        if (ns_rr_type(record) == ns_t_a && ns_rr_rdlen(record) == 4) {
            inet_ntop(AF_INET, ns_rr_rdata(record), text, sizeof text);
        } else if (ns_rr_type(record) == ns_t_aaaa && ns_rr_rdlen(record) == 16) {
            inet_ntop(AF_INET6, ns_rr_rdata(record), text, sizeof text);
        } else {
            continue;
        }
        size_t n = strlen(text);
        if (used + n + 2 > size) break;
        memcpy(out + used, text, n);
        out[used + n] = '\n';
        used += n + 1;
        out[used] = 0;
        found++;
    }
    return found;
}
