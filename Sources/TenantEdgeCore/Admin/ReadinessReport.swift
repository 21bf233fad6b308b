/// The answer of `/readyz`: whether a load balancer should send traffic here, and why not.
///
/// Serving from the snapshot file while the master database is unreachable is still ready
/// (200, reason "degraded: serving from snapshot"): every instance sees the same outage, and
/// pulling them all out of rotation would turn a stale map into a full outage.
public struct ReadinessReport: Sendable, Equatable {
    public var status: Int
    public var json: String

    /// `ready`/`reason` come from the server (false while draining); `routeMap` from the feed.
    public init(ready: Bool, reason: String?, routeMap: RouteMapStatus) {
        var out: [UInt8] = []
        if routeMap.generation == 0 {
            status = 503
            JSONOutput.appendRaw("{\"ready\":false,\"reason\":\"no route map loaded yet\"}", to: &out)
        } else if !ready {
            status = 503
            JSONOutput.appendRaw("{\"ready\":false,\"reason\":", to: &out)
            JSONOutput.appendString(reason ?? "not ready", to: &out)
            out.append(UInt8(ascii: "}"))
        } else {
            status = 200
            JSONOutput.appendRaw("{\"ready\":true,\"status\":", to: &out)
            if routeMap.servingFromSnapshot {
                JSONOutput.appendString("degraded: serving from snapshot", to: &out)
            } else {
                JSONOutput.appendString(reason ?? "ok", to: &out)
            }
            JSONOutput.appendRaw(",\"generation\":", to: &out)
            JSONOutput.appendUInt(routeMap.generation, to: &out)
            JSONOutput.appendRaw(",\"map_age_seconds\":", to: &out)
            JSONOutput.appendUInt(UInt64(max(0, routeMap.ageSeconds.rounded(.down))), to: &out)
            out.append(UInt8(ascii: "}"))
        }
        json = String(decoding: out, as: UTF8.self)
    }
}
