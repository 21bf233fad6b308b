import Crypto
import Foundation
import Logging
import TenantEdgeMaster

extension CertificateManager {
    /// The issuance thread's database session (LISTENing on the certificates channel, holding
    /// the advisory locks) and its ACME client, made on first use.
    final class Session {
        let connection: PostgresConnection
        let repository: CertificateRepository
        private let settings: Settings
        private var acme: ACMEClient?

        init(settings: Settings, logger: Logger) throws(MasterDBError) {
            self.settings = settings
            connection = try PostgresConnection.connect(settings.connectionString)
            try connection.execute("LISTEN \(CertificateRepository.channel)")
            repository = CertificateRepository(connection: connection)
        }

        /// Names the platform marks for TLS on its own domain, of stores that serve.
        func eligibleNames() throws(MasterDBError) -> [String] {
            try connection.query(Self.eligibleSQL + " ORDER BY 1").rows.compactMap { $0[0] }
        }

        func isEligible(_ hostname: String) throws(MasterDBError) -> Bool {
            try !connection.query(Self.eligibleSQL + " AND lower(rtrim(h.hostname, '.')) = $1", params: [hostname]).rows.isEmpty
        }

        private static let eligibleSQL = """
            SELECT DISTINCT lower(rtrim(h.hostname, '.')) FROM store_hostnames h JOIN stores s ON s.id = h.store_id
            WHERE h.is_custom_domain AND h.ssl_enabled AND s.is_active AND lower(trim(s.status)) IN ('active', 'demo')
            """

        /// The client with the shared account: the first instance creates the key and stores
        /// it sealed; every other instance (and every restart) uses that one.
        func client(vault: CertificateVault, hooks: Hooks) throws(ACMEError) -> ACMEClient {
            if let acme { return acme }
            let context = "acme-account:" + settings.directoryURL
            do {
                if try repository.account(directoryURL: settings.directoryURL) == nil {
                    let key = P256.Signing.PrivateKey()
                    try repository.saveAccount(directoryURL: settings.directoryURL, url: nil,
                                               sealedKey: try vault.seal(Array(key.rawRepresentation), context: context))
                }
                guard let stored = try repository.account(directoryURL: settings.directoryURL) else {
                    throw ACMEError.local("the account row vanished")
                }
                let key = ACMEAccountKey(try P256.Signing.PrivateKey(rawRepresentation: try vault.open(stored.sealedKey, context: context)))
                hooks.accountThumbprint(key.thumbprint)
                let client = ACMEClient(directoryURL: settings.directoryURL, accountKey: key, accountURL: stored.url,
                                        contactEmail: settings.email, http: HTTPSClient(caFile: settings.caFile))
                if stored.url == nil {
                    let url = try client.ensureAccount()
                    try repository.saveAccount(directoryURL: settings.directoryURL, url: url, sealedKey: stored.sealedKey)
                }
                acme = client
                return client
            } catch let error as ACMEError {
                throw error
            } catch {
                throw ACMEError.local("account: \(error)")
            }
        }
    }
}
