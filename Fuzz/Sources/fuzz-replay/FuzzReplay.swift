import Foundation
import FuzzChecks

/// The fuzz checks without libFuzzer: runs every corpus file of a target, then (with
/// `--mutations N`) N inputs made from them by a seeded mutator, so a run is reproducible
/// from its seed. For toolchains without libFuzzer, and to replay a corpus under any
/// sanitizer. Before each input runs it is written to `--save FILE`, so after a crash that
/// file holds the input that caused it.
///
///   fuzz-replay TARGET CORPUS_DIR_OR_FILE... [--mutations N] [--seed S] [--save FILE]
@main
struct FuzzReplay {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        func option(_ name: String) -> String? {
            guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
            defer { arguments.removeSubrange(index...(index + 1)) }
            return arguments[index + 1]
        }
        let mutations = option("--mutations").flatMap { Int($0) } ?? 0
        let seed = option("--seed").flatMap { UInt64($0) } ?? 1
        let savePath = option("--save")
        guard let name = arguments.first, let run = FuzzTargets.named(name) else {
            let names = FuzzTargets.all.map(\.name).joined(separator: ", ")
            FileHandle.standardError.write(Data("usage: fuzz-replay TARGET PATH... [--mutations N] [--seed S] [--save FILE]\ntargets: \(names)\n".utf8))
            exit(2)
        }
        var corpus: [[UInt8]] = []
        for path in arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            let files = isDirectory.boolValue
                ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted().map { "\(path)/\($0)" }
                : [path]
            for file in files {
                if let data = FileManager.default.contents(atPath: file) { corpus.append(Array(data)) }
            }
        }
        if corpus.isEmpty { corpus = [[]] }

        let save = savePath.map { open($0, O_WRONLY | O_CREAT | O_TRUNC, 0o644) } ?? -1
        func execute(_ input: [UInt8]) {
            if save >= 0 {
                _ = ftruncate(save, 0)
                _ = input.withUnsafeBytes { pwrite(save, $0.baseAddress, $0.count, 0) }
            }
            input.withUnsafeBytes { run($0) }
        }
        for input in corpus { execute(input) }
        var mutator = Mutator(seed: seed, corpus: corpus)
        for _ in 0..<mutations { execute(mutator.next()) }
        print("\(name): \(corpus.count) corpus inputs and \(mutations) mutations (seed \(seed)) passed")
    }
}

/// A small deterministic mutator in the spirit of libFuzzer's: byte flips, inserts, erases,
/// copies within an input, splices of two inputs, and the bytes parsers care about most.
struct Mutator {
    var state: UInt64
    let corpus: [[UInt8]]
    static let interesting: [[UInt8]] = [
        [13, 10], [10], [13], [0], [32], [9], [58], [59], [44], [46], Array("\r\n\r\n".utf8),
        Array("0\r\n\r\n".utf8), Array("Transfer-Encoding: chunked\r\n".utf8), Array("Content-Length: 5\r\n".utf8),
        Array("Host: a.b\r\n".utf8), Array("Connection: ".utf8), [0xFF], [0x80], Array("ffffffffffffffff".utf8),
    ]

    init(seed: UInt64, corpus: [[UInt8]]) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        self.corpus = corpus
    }

    /// xorshift64*: fast, seeded, the same sequence on every platform.
    mutating func random(_ bound: Int) -> Int {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return bound <= 0 ? 0 : Int((state &* 0x2545_F491_4F6C_DD1D) >> 33) % bound
    }

    mutating func next() -> [UInt8] {
        var input = corpus[random(corpus.count)]
        for _ in 0...random(4) {
            switch random(7) {
            case 0 where !input.isEmpty:
                input[random(input.count)] ^= UInt8(1 << random(8))
            case 1:
                input.insert(UInt8(truncatingIfNeeded: random(256)), at: random(input.count + 1))
            case 2 where !input.isEmpty:
                let start = random(input.count)
                input.removeSubrange(start..<min(input.count, start + 1 + random(8)))
            case 3 where !input.isEmpty:
                let start = random(input.count)
                let piece = input[start..<min(input.count, start + 1 + random(16))]
                input.insert(contentsOf: piece, at: random(input.count + 1))
            case 4:
                let other = corpus[random(corpus.count)]
                let cut = random(input.count + 1)
                input = Array(input[..<cut]) + other[random(other.count + 1)...]
            case 5:
                input.insert(contentsOf: Self.interesting[random(Self.interesting.count)], at: random(input.count + 1))
            default:
                if !input.isEmpty { input[random(input.count)] = UInt8(truncatingIfNeeded: random(256)) }
            }
        }
        return input
    }
}

/// Built with `-sanitize=fuzzer` (as `scripts/fuzz` builds every target), libFuzzer's runtime
/// is linked in and needs a target symbol even though this program never starts libFuzzer.
@_cdecl("LLVMFuzzerTestOneInput")
public func unusedFuzzerEntry(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt { 0 }
