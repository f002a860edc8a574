// shmif_dumpbus: NetBSD's post-mortem bus dumper, with its options, text and exit statuses.
// usage: shmif_dumpbus [-h] [-p pcapfile|-] buspath
#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Pcap
import Shmif
import ToolSupport

struct ShmifDumpbus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shmif_dumpbus",
        abstract: "Dump the frames of a shmif bus file, as text or as pcap.",
        discussion: "Text goes to standard output, or to standard error when the pcap goes to standard output (-p -).",
        helpNames: [.long])

    @Flag(name: .customShort("h"), help: "Print the bus header only.")
    var headerOnly = false

    @Option(name: .customShort("p"), parsing: .unconditional, help: ArgumentHelp("Write the frames to a pcap file; - is standard output.", valueName: "pcapfile"))
    var pcapFile: String?

    @Argument(help: "The bus file.")
    var buspath: String

    static func usageAndExit() -> Never {
        printErr("usage: shmif_dumpbus [-h] [-p pcapfile] buspath")
        exitTool(1)
    }

    static func fail(_ message: String) -> Never {
        errx(1, "shmif_dumpbus", message)
    }

    func run() throws {
        let dump: BusDump
        do { dump = try BusDump(path: buspath) } catch { Self.fail(error.description) }
        let textToStderr = pcapFile == "-"
        func say(_ line: String) {
            if textToStderr { OutputStream.standardError.line(line) } else { printOut(line) }
        }
        say(dump.headerLine)
        if headerOnly { return }
        var writer: PcapWriter?
        if let pcapFile {
            do { writer = try PcapWriter(path: pcapFile) } catch { Self.fail("cannot open pcap dump file: \(error)") }
        }
        var index = 0
        do {
            try dump.walk { frame, bytes in
                say(frame.line(index: index))
                index += 1
                writer?.write(bytes, seconds: Int(frame.seconds), microseconds: Int(frame.microseconds))
            }
        } catch {
            writer = nil
            Self.fail("\(error)")
        }
        writer = nil
    }

    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--help"] {
            printOut(helpMessage())
            exitTool(0)
        }
        let command: ShmifDumpbus
        do { command = try parse(arguments) } catch { usageAndExit() }
        do { try command.run() } catch { fail("\(error)") }
        exitTool(0)
    }
}

ShmifDumpbus.main()
