import TenantEdgeCore

/// How the change feed reaches the master database and what it does with the map.
public struct ChangeFeedConfiguration: Sendable {
    /// libpq URL or keyword string (secret: never logged).
    public var connectionString: String
    public var policy: RoutingPolicy
    /// Where the last known map is written after every sync; nil disables the snapshot.
    public var snapshotPath: String?
    public var timing = ChangeFeedStateMachine.Timing()
    /// How long `start` keeps trying the database when it is down and there is no usable
    /// snapshot, before giving up: long enough for a database that is just starting.
    public var startupGraceSeconds: Double = 3
    /// Overlay entries (changed hostnames, slugs, stores) above which the map is compacted
    /// into a new base; nil: max(20,000, an eighth of the base's hostnames).
    public var compactionThreshold: Int?
    /// Shown in `pg_stat_activity`, so operators (and tests) can find the feed's session.
    public var applicationName = "tenant-edge"

    public init(connectionString: String, policy: RoutingPolicy, snapshotPath: String?) {
        self.connectionString = connectionString
        self.policy = policy
        self.snapshotPath = snapshotPath
    }

    /// libpq defaults for the LISTEN session; the connection string can override each. Dead
    /// peers are found within about 25 s (10 s idle, then 3 probes 5 s apart) even when no
    /// statement is running, and `tcp_user_timeout` bounds a write to a black-holed peer.
    var connectionDefaults: KeyValuePairs<String, String> {
        ["application_name": applicationName, "keepalives": "1", "keepalives_idle": "10",
         "keepalives_interval": "5", "keepalives_count": "3", "tcp_user_timeout": "25000"]
    }
}
