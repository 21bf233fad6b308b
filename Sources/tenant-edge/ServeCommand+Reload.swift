import Logging
import TenantEdgeConfig
import TenantEdgeServer

extension ServeCommand {
    /// SIGHUP: re-read the configuration file and the certificates it names; publish the
    /// new certificate store only if the file is valid and the default certificate loads.
    /// Handshakes already in progress keep the store they started with; established
    /// connections are not touched.
    func reloadCertificates(into publisher: CertificatePublisher, logger: Logger) {
        do {
            let config = try ConfigLoader.load(path: options.config)
            let store = try SettingsBuilder.certificates(config, logger: logger)
            publisher.publish(store)
            if let store {
                logger.info("certificates reloaded", metadata: ["certificates": "\(store.count)", "skipped": "\(store.skipped.count)"])
            }
        } catch {
            logger.error("reload rejected; keeping the current certificates", metadata: ["error": "\(error)"])
        }
    }
}
