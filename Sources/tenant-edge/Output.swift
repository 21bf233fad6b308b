import Foundation

/// Writes a line to standard error (the CLI's messages; logs go through swift-log).
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
