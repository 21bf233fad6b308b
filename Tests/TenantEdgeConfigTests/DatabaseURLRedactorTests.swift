import Testing
import TenantEdgeConfig

struct DatabaseURLRedactorTests {
    @Test(arguments: [
        ("postgresql://u:pw@h:5432/db?sslmode=require", "postgresql://u:***@h:5432/db?sslmode=require"),
        ("postgres://u:p@ss@h/db", "postgres://u:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://h:5432/db?user=u&password=pw&sslmode=require",
         "postgresql://h:5432/db?user=u&password=***&sslmode=require"),
        ("host=h password=pw", "host=h password=***"),
        ("host=h password = 'p w\\'x' dbname=d", "host=h password = *** dbname=d"),
        ("host=h user=u dbname=d", "host=h user=u dbname=d"),
        ("host=h password='unterminated", "(connection string hidden: it could not be parsed)"),
    ])
    func masksThePassword(input: String, expected: String) {
        #expect(DatabaseURLRedactor.redact(input) == expected)
    }

    @Test func edgeConfigExposesTheRedactedForm() throws {
        let config = try ConfigLoader.load(
            yaml: ConfigLoaderTests.minimal, configDirectory: "/",
            environment: ["MASTER_DB_URL": "host=db password=hunter2", "TENANT_CONTEXT_SECRET": ConfigLoaderTests.secret])
        #expect(config.redactedMasterDBURL == "host=db password=***")
    }
}
