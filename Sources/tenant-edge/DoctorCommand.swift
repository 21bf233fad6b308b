import ArgumentParser
import TenantEdgeConfig
import TenantEdgeMaster

/// Checks an installation against the master database, one line per check with a fix for
/// each failure: the questions an operator otherwise answers by reading logs after a failed
/// start (wrong password, a pooler that drops LISTEN, a missing migration, bad rows).
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor", abstract: "Check the master database, the migration, LISTEN/NOTIFY, the rows and the snapshot path.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let config: EdgeConfig
        do {
            config = try ConfigLoader.load(path: options.config)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        print("master database: \(config.redactedMasterDBURL)")
        let checks = MasterDatabaseDoctor.run(connectionString: config.masterDBURL, policy: SettingsBuilder.policy(config),
                                              snapshotPath: config.masterDB.snapshotPath)
        for check in checks { print(check) }
        let failures = checks.filter { $0.outcome == .failure }.count
        print(failures == 0 ? "doctor: no failures" : "doctor: \(failures) check(s) failed")
        if failures > 0 { throw ExitCode(1) }
    }
}
