import FuzzChecks

/// libFuzzer entry point: every input goes through `RouteRowsCheck`, which traps on a broken invariant.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEntry(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    RouteRowsCheck.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// SwiftPM links Linux executables with `main` aliased to `<module>_main` (so tests can
/// import them), which hides libFuzzer's own `main`; this one hands over to libFuzzer's driver.
@_cdecl("fuzz_route_rows_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runFuzzerDriver(argc, argv, fuzzEntry)
}
