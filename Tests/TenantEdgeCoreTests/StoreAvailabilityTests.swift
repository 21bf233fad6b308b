import Testing
import TenantEdgeCore

@Suite struct StoreAvailabilityTests {
    @Test(arguments: [
        ("active", true, StoreAvailability.serve),
        ("demo", true, .serve),
        ("active", false, .unavailable),
        ("demo", false, .unavailable),
        ("pending_database", false, .provisioning),
        ("pending_database", true, .provisioning),
        ("provisioning", false, .provisioning),
        ("provisioned", true, .provisioning),
        ("suspended", true, .unavailable),
        ("suspended", false, .unavailable),
        ("inactive", false, .closed),
        ("inactive", true, .closed),
        ("archived", true, .unknownStatus),
        ("", true, .unknownStatus),
        (" Active ", true, .serve),
        ("DEMO", true, .serve),
    ])
    func decidesFromStatusAndFlag(status: String, isActive: Bool, expected: StoreAvailability) {
        #expect(StoreAvailability(status: status, isActive: isActive) == expected)
    }

    @Test func mapsToErrorResponses() {
        #expect(StoreAvailability.serve.errorKind == nil)
        #expect(StoreAvailability.provisioning.errorKind == .provisioning)
        #expect(StoreAvailability.unavailable.errorKind == .inactive)
        #expect(StoreAvailability.unknownStatus.errorKind == .inactive)
        #expect(StoreAvailability.closed.errorKind == .closed)
        #expect(ErrorKind.provisioning.status == 503)
        #expect(ErrorKind.inactive.status == 503)
        #expect(ErrorKind.closed.status == 410)
        #expect(ErrorKind.notFound.status == 404)
    }
}
